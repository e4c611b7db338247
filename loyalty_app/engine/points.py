"""Whole-point arithmetic: rounding point values, clawing points back on returns, daily caps."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum


class Rounding(StrEnum):
	DOWN = "Round Down"
	HALF_UP = "Round Half Up"
	UP = "Round Up"


_DECIMAL_ROUNDING = {
	Rounding.DOWN: ROUND_DOWN,
	Rounding.HALF_UP: ROUND_HALF_UP,
	Rounding.UP: ROUND_UP,
}


def to_points(value: Decimal, rounding: Rounding) -> int:
	if not value.is_finite() or value < 0:
		raise ValueError(f"Invalid point value: {value}")
	return int(value.quantize(Decimal(1), rounding=_DECIMAL_ROUNDING[rounding]))


def clawback_points(earned: int, returned_total: Decimal, invoice_total: Decimal, already_clawed: int) -> int:
	"""Points to claw back for the latest return against an invoice.

	`returned_total` is everything returned so far, the latest return included. The total clawed
	back is `earned` pro rata to the returned share, so a full return claws back exactly `earned`
	however it was split.
	"""
	if invoice_total <= 0:
		raise ValueError("Invoice total must be positive")
	if returned_total < 0:
		raise ValueError("Returned total cannot be negative")
	if earned < 0 or already_clawed < 0:
		raise ValueError("Points cannot be negative")
	returned_share = min(returned_total, invoice_total)
	target = to_points(earned * returned_share / invoice_total, Rounding.HALF_UP)
	return max(target - already_clawed, 0)


def apply_daily_cap(points: int, earned_today: int, cap: int | None) -> int:
	"""Limit `points` so the day's total stays within `cap`; None or 0 means uncapped."""
	if not cap:
		return points
	if cap < 0:
		raise ValueError("Daily cap cannot be negative")
	return min(points, max(cap - earned_today, 0))
