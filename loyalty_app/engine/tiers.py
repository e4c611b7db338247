"""Membership tiers: qualifying, immediate upgrades and end-of-window reviews."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Tier:
	name: str
	rank: int
	entry_threshold: Decimal
	retention_threshold: Decimal


class TierAction(StrEnum):
	KEEP = "keep"
	UPGRADE = "upgrade"
	DOWNGRADE = "downgrade"


@dataclass(frozen=True)
class TierDecision:
	"""`tier` is the member's tier after the review (None = no tier)."""

	action: TierAction
	tier: Tier | None


def qualifying_tier(tiers: Iterable[Tier], value: Decimal) -> Tier | None:
	"""The highest-ranked tier whose entry threshold `value` reaches."""
	return _qualifying(_ranked(tiers), value)


def upgrade_to(tiers: Iterable[Tier], current: str | None, value: Decimal) -> Tier | None:
	"""The tier `value` qualifies for if it ranks above `current` (None = below every tier), else None."""
	ranked = _ranked(tiers)
	return _upgrade(ranked, _find(ranked, current), value)


def review(tiers: Iterable[Tier], current: str | None, value: Decimal) -> TierDecision:
	"""Upgrade if `value` qualifies higher, keep if it meets the retention threshold, else drop one rank."""
	ranked = _ranked(tiers)
	current_tier = _find(ranked, current)
	upgrade = _upgrade(ranked, current_tier, value)
	if upgrade is not None:
		return TierDecision(TierAction.UPGRADE, upgrade)
	if current_tier is None or value >= current_tier.retention_threshold:
		return TierDecision(TierAction.KEEP, current_tier)
	position = ranked.index(current_tier)
	return TierDecision(TierAction.DOWNGRADE, ranked[position - 1] if position else None)


def review_window(
	*, calendar_year: bool, months: int, period_end: date, in_grace: bool, today: date
) -> tuple[date, date]:
	"""The first and last day whose qualifying value a tier review on `today` judges, for a member whose
	tier (or grace) ran until `period_end`.

	Rolling months: the `months` ending today. Calendar year: the finished year the tier was held for
	(the year `period_end` falls in), whatever day of the next year the review runs; a member in grace
	(which starts in the year after) is judged on that finished year plus the grace days."""
	if not calendar_year:
		return today - relativedelta(months=months) + timedelta(days=1), today
	finished_year = period_end.year - 1 if in_grace else period_end.year
	return date(finished_year, 1, 1), period_end


def _ranked(tiers: Iterable[Tier]) -> list[Tier]:
	ranked = sorted(tiers, key=lambda tier: tier.rank)
	if len({tier.rank for tier in ranked}) != len(ranked):
		raise ValueError("Tier ranks must be unique")
	if len({tier.name for tier in ranked}) != len(ranked):
		raise ValueError("Tier names must be unique")
	return ranked


def _find(ranked: list[Tier], name: str | None) -> Tier | None:
	if not name:
		return None
	for tier in ranked:
		if tier.name == name:
			return tier
	raise ValueError(f"Unknown tier: {name}")


def _qualifying(ranked: list[Tier], value: Decimal) -> Tier | None:
	return next((tier for tier in reversed(ranked) if tier.entry_threshold <= value), None)


def _upgrade(ranked: list[Tier], current: Tier | None, value: Decimal) -> Tier | None:
	qualifying = _qualifying(ranked, value)
	if qualifying is not None and (current is None or qualifying.rank > current.rank):
		return qualifying
	return None
