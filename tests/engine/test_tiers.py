from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.tiers import (
	Tier,
	TierAction,
	TierDecision,
	qualifying_tier,
	review,
	review_window,
	upgrade_to,
)

SILVER = Tier("Silver", 1, entry_threshold=Decimal(1000), retention_threshold=Decimal(800))
GOLD = Tier("Gold", 2, entry_threshold=Decimal(5000), retention_threshold=Decimal(4000))
PLATINUM = Tier("Platinum", 3, entry_threshold=Decimal(20000), retention_threshold=Decimal(15000))
TIERS = [GOLD, PLATINUM, SILVER]


@pytest.mark.parametrize(
	("value", "expected"),
	[
		("0", None),
		("999.99", None),
		("1000", SILVER),
		("4999", SILVER),
		("5000", GOLD),
		("1000000", PLATINUM),
	],
)
def test_qualifying_tier(value: str, expected: Tier | None) -> None:
	assert qualifying_tier(TIERS, Decimal(value)) == expected


def test_qualifying_tier_picks_the_highest_rank_reached() -> None:
	odd = Tier("Odd", 4, entry_threshold=Decimal(0), retention_threshold=Decimal(0))
	assert qualifying_tier([*TIERS, odd], Decimal(0)) == odd


def test_no_tiers() -> None:
	assert qualifying_tier([], Decimal(100)) is None
	assert review([], None, Decimal(100)) == TierDecision(TierAction.KEEP, None)


@pytest.mark.parametrize(
	("current", "value", "expected"),
	[
		(None, "500", None),
		(None, "1000", SILVER),
		("", "1000", SILVER),
		("Silver", "6000", GOLD),
		("Silver", "1000", None),
		("Gold", "1000", None),
		("Platinum", "0", None),
	],
)
def test_upgrade_to_only_moves_up(current: str | None, value: str, expected: Tier | None) -> None:
	assert upgrade_to(TIERS, current, Decimal(value)) == expected


@pytest.mark.parametrize(
	("current", "value", "expected"),
	[
		(None, "999", TierDecision(TierAction.KEEP, None)),
		(None, "25000", TierDecision(TierAction.UPGRADE, PLATINUM)),
		("Silver", "5000", TierDecision(TierAction.UPGRADE, GOLD)),
		("Gold", "4000", TierDecision(TierAction.KEEP, GOLD)),
		("Gold", "4999", TierDecision(TierAction.KEEP, GOLD)),
		("Gold", "3999.99", TierDecision(TierAction.DOWNGRADE, SILVER)),
		("Platinum", "0", TierDecision(TierAction.DOWNGRADE, GOLD)),
		("Silver", "799", TierDecision(TierAction.DOWNGRADE, None)),
		("Silver", "800", TierDecision(TierAction.KEEP, SILVER)),
	],
)
def test_review(current: str | None, value: str, expected: TierDecision) -> None:
	assert review(TIERS, current, Decimal(value)) == expected


@pytest.mark.parametrize(
	"tiers",
	[
		[SILVER, Tier("Silver 2", 1, Decimal(0), Decimal(0))],
		[SILVER, Tier("Silver", 9, Decimal(0), Decimal(0))],
	],
)
def test_duplicate_ranks_or_names_are_rejected(tiers: list[Tier]) -> None:
	for decide in (lambda: qualifying_tier(tiers, Decimal(0)), lambda: review(tiers, None, Decimal(0))):
		with pytest.raises(ValueError):
			decide()


def test_unknown_current_tier_is_rejected() -> None:
	with pytest.raises(ValueError):
		review(TIERS, "Bronze", Decimal(0))


@given(st.sampled_from([None, "Silver", "Gold", "Platinum"]), st.integers(min_value=0, max_value=30000))
def test_review_moves_at_most_one_rank_down(current: str | None, value: int) -> None:
	decision = review(TIERS, current, Decimal(value))
	rank_before = {None: 0, "Silver": 1, "Gold": 2, "Platinum": 3}[current]
	rank_after = decision.tier.rank if decision.tier else 0
	expected_action = {1: TierAction.UPGRADE, 0: TierAction.KEEP, -1: TierAction.DOWNGRADE}
	assert expected_action[max(min(rank_after - rank_before, 1), -1)] is decision.action
	assert rank_after >= rank_before - 1
	assert (decision.action is TierAction.UPGRADE) == (upgrade_to(TIERS, current, Decimal(value)) is not None)


years = st.integers(min_value=2000, max_value=2090)


@given(year=years, review_delay=st.integers(min_value=1, max_value=300))
def test_a_calendar_year_review_judges_the_finished_year_whatever_day_it_runs(year, review_delay) -> None:
	year_end = date(year, 12, 31)
	window = review_window(
		calendar_year=True,
		months=12,
		period_end=year_end,
		in_grace=False,
		today=year_end + timedelta(days=review_delay),
	)
	assert window == (date(year, 1, 1), year_end)


@given(year=years, grace_days=st.integers(min_value=1, max_value=300), review_delay=st.integers(0, 30))
def test_calendar_year_grace_adds_the_grace_days_to_the_finished_year(year, grace_days, review_delay) -> None:
	grace_end = date(year, 12, 31) + timedelta(days=review_delay + grace_days)
	window = review_window(
		calendar_year=True,
		months=12,
		period_end=grace_end,
		in_grace=True,
		today=grace_end + timedelta(days=1),
	)
	assert window == (date(year, 1, 1), grace_end)


@given(today=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), months=st.integers(1, 36))
def test_a_rolling_window_is_the_months_ending_on_the_review_day(today, months) -> None:
	start, end = review_window(
		calendar_year=False, months=months, period_end=date(1999, 12, 31), in_grace=False, today=today
	)
	assert end == today
	assert 28 * months <= (end - start).days + 1 <= 31 * months
	assert start - timedelta(days=1) == today - relativedelta(months=months)
