from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.points import Rounding, apply_daily_cap, clawback_points, to_points


@pytest.mark.parametrize(
	("value", "rounding", "expected"),
	[
		("99.99", Rounding.DOWN, 99),
		("99.99", Rounding.HALF_UP, 100),
		("99.49", Rounding.HALF_UP, 99),
		("99.5", Rounding.HALF_UP, 100),
		("99.01", Rounding.UP, 100),
		("100", Rounding.UP, 100),
		("0", Rounding.UP, 0),
		("0.4", Rounding.DOWN, 0),
	],
)
def test_to_points(value: str, rounding: Rounding, expected: int) -> None:
	assert to_points(Decimal(value), rounding) == expected


@pytest.mark.parametrize("value", ["-0.01", "NaN", "Infinity"])
def test_to_points_rejects_invalid_values(value: str) -> None:
	with pytest.raises(ValueError):
		to_points(Decimal(value), Rounding.DOWN)


def test_rounding_values_are_the_settings_labels() -> None:
	assert [rounding.value for rounding in Rounding] == ["Round Down", "Round Half Up", "Round Up"]


def test_clawback_of_a_partial_return() -> None:
	assert clawback_points(100, Decimal("25"), Decimal("200"), 0) == 13  # 12.5 rounds half up


def test_clawback_of_three_partial_returns_summing_to_the_whole() -> None:
	earned, invoice_total = 99, Decimal("100.00")
	clawed = 0
	for returned_total in (Decimal("33.33"), Decimal("66.66"), Decimal("100.00")):
		clawed += clawback_points(earned, returned_total, invoice_total, clawed)
	assert clawed == earned


def test_clawback_caps_returns_above_the_invoice_total() -> None:
	assert clawback_points(50, Decimal("120"), Decimal("100"), 0) == 50
	assert clawback_points(50, Decimal("120"), Decimal("100"), 50) == 0


def test_clawback_never_goes_below_zero() -> None:
	assert clawback_points(10, Decimal("10"), Decimal("100"), 5) == 0


@pytest.mark.parametrize(
	("earned", "returned_total", "invoice_total", "already_clawed"),
	[(10, "1", "0", 0), (10, "1", "-5", 0), (10, "-1", "100", 0), (-1, "1", "100", 0), (10, "1", "100", -1)],
)
def test_clawback_rejects_invalid_input(
	earned: int, returned_total: str, invoice_total: str, already_clawed: int
) -> None:
	with pytest.raises(ValueError):
		clawback_points(earned, Decimal(returned_total), Decimal(invoice_total), already_clawed)


@st.composite
def invoice_with_returns(draw: st.DrawFn) -> tuple[int, Decimal, list[Decimal]]:
	"""An invoice total in cents and a list of returns (in cents) that sum to at most the total."""
	total_cents = draw(st.integers(min_value=1, max_value=10_000_000))
	cuts = draw(st.lists(st.integers(min_value=0, max_value=total_cents), max_size=6))
	full_return = draw(st.booleans())
	bounds = sorted({0, *cuts, *([total_cents] if full_return else [])})
	returns = [Decimal(upper - lower) / 100 for lower, upper in pairwise(bounds)]
	return draw(st.integers(min_value=0, max_value=1_000_000)), Decimal(total_cents) / 100, returns


def _claw_in_steps(earned: int, invoice_total: Decimal, returns: list[Decimal]) -> int:
	clawed = 0
	returned_total = Decimal(0)
	for returned in returns:
		returned_total += returned
		increment = clawback_points(earned, returned_total, invoice_total, clawed)
		assert increment >= 0
		clawed += increment
	return clawed


@given(invoice_with_returns())
def test_clawback_increments_never_exceed_earned_and_a_full_return_claws_all(
	case: tuple[int, Decimal, list[Decimal]],
) -> None:
	earned, invoice_total, returns = case
	clawed = _claw_in_steps(earned, invoice_total, returns)
	assert clawed <= earned
	if sum(returns, Decimal(0)) == invoice_total:
		assert clawed == earned


@given(invoice_with_returns())
def test_clawback_total_does_not_depend_on_how_returns_are_split(
	case: tuple[int, Decimal, list[Decimal]],
) -> None:
	earned, invoice_total, returns = case
	assert _claw_in_steps(earned, invoice_total, returns) == _claw_in_steps(
		earned, invoice_total, [sum(returns, Decimal(0))]
	)


@pytest.mark.parametrize(
	("points", "earned_today", "cap", "expected"),
	[
		(50, 0, None, 50),
		(50, 1000, 0, 50),
		(50, 0, 100, 50),
		(50, 80, 100, 20),
		(50, 100, 100, 0),
		(50, 150, 100, 0),
	],
)
def test_apply_daily_cap(points: int, earned_today: int, cap: int | None, expected: int) -> None:
	assert apply_daily_cap(points, earned_today, cap) == expected


def test_daily_cap_rejects_a_negative_cap() -> None:
	with pytest.raises(ValueError):
		apply_daily_cap(10, 0, -1)
