from datetime import date
from decimal import Decimal
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.points import Rounding, to_points
from loyalty_app.engine.rules import EarnContext, EarningRule, Line, evaluate

POSTING_DATE = date(2025, 6, 15)
CTX = EarnContext(posting_date=POSTING_DATE, points_per_unit=Decimal(1), rounding=Rounding.DOWN)
TEA = Line("TEA-01", Decimal("100"), item_group="Tea", brand="Leaf")
CUP = Line("CUP-01", Decimal("50"), item_group="Ware", brand="Clay")
GIFT_CARD = Line("GIFT-100", Decimal("100"), item_group="Gift Cards")


def points(lines: list[Line], rules: list[EarningRule], ctx: EarnContext = CTX) -> int:
	return evaluate(lines, rules, ctx).points


def test_base_rate_rounds_down() -> None:
	assert points([Line("A", Decimal("99.99"))], []) == 99


@pytest.mark.parametrize(("rounding", "expected"), [(Rounding.HALF_UP, 99), (Rounding.UP, 100)])
def test_base_rate_with_other_roundings(rounding: Rounding, expected: int) -> None:
	ctx = EarnContext(POSTING_DATE, Decimal(1), rounding)
	assert points([Line("A", Decimal("99.49"))], [], ctx) == expected


def test_rounding_happens_once_on_the_invoice_total() -> None:
	lines = [Line("A", Decimal("0.5")), Line("B", Decimal("0.5")), Line("C", Decimal("0.5"))]
	result = evaluate(lines, [], CTX)
	assert (result.value, result.points) == (Decimal("1.5"), 1)


def test_tier_multiplier_and_base_rate() -> None:
	ctx = EarnContext(
		POSTING_DATE, Decimal("0.5"), Rounding.DOWN, tier="Gold", tier_multiplier=Decimal("1.5")
	)
	assert points([TEA, CUP], [], ctx) == 112  # 150 * 0.5 * 1.5 = 112.5


def test_rate_override_and_multiplier_apply_to_matching_lines_only() -> None:
	rules = [
		EarningRule("tea rate", points_per_unit=Decimal(3), item_group="Tea"),
		EarningRule("clay double", multiplier=Decimal(2), brand="Clay"),
	]
	result = evaluate([TEA, CUP], rules, CTX)
	assert [line.value for line in result.lines] == [Decimal(300), Decimal(100)]
	assert [line.applied_rules for line in result.lines] == [("tea rate",), ("clay double",)]
	assert result.points == 400


def test_all_scope_fields_must_match() -> None:
	rule = EarningRule("leaf cups", multiplier=Decimal(2), item_group="Ware", brand="Leaf")
	assert points([TEA, CUP], [rule]) == 150


def test_a_rule_without_scope_matches_every_line() -> None:
	assert points([TEA, CUP], [EarningRule("double", multiplier=Decimal(2))]) == 300


def test_empty_scope_fields_count_as_unset() -> None:
	rule = EarningRule(
		"double", multiplier=Decimal(2), item_code="", item_group="", brand="", tier="", channel=""
	)
	assert points([TEA], [rule]) == 200


def test_highest_priority_non_stackable_rule_wins() -> None:
	rules = [
		EarningRule("double", priority=1, multiplier=Decimal(2)),
		EarningRule("triple", priority=2, multiplier=Decimal(3)),
	]
	result = evaluate([TEA], rules, CTX)
	assert (result.points, result.lines[0].applied_rules) == (300, ("triple",))


def test_equal_priorities_are_ordered_by_name() -> None:
	rules = [EarningRule("b triple", multiplier=Decimal(3)), EarningRule("a double", multiplier=Decimal(2))]
	assert evaluate([TEA], rules, CTX).lines[0].applied_rules == ("a double",)


def test_stackable_rules_multiply() -> None:
	rules = [
		EarningRule("double", priority=2, multiplier=Decimal(2), stackable=True),
		EarningRule("triple", priority=1, multiplier=Decimal(3), stackable=True),
	]
	result = evaluate([TEA], rules, CTX)
	assert (result.points, result.lines[0].applied_rules) == (600, ("double", "triple"))


def test_a_non_stackable_rule_ends_the_chain() -> None:
	rules = [
		EarningRule("double", priority=3, multiplier=Decimal(2), stackable=True),
		EarningRule("triple", priority=2, multiplier=Decimal(3)),
		EarningRule("bonus", priority=1, multiplier=Decimal(5), stackable=True),
	]
	assert evaluate([TEA], rules, CTX).lines[0].applied_rules == ("double",)


def test_a_non_stackable_first_rule_applies_alone() -> None:
	rules = [
		EarningRule("double", priority=2, multiplier=Decimal(2)),
		EarningRule("triple", priority=1, multiplier=Decimal(3), stackable=True),
	]
	assert evaluate([TEA], rules, CTX).lines[0].applied_rules == ("double",)


def test_rate_comes_from_the_first_applied_rule_that_sets_one() -> None:
	rules = [
		EarningRule("double", priority=3, multiplier=Decimal(2), stackable=True),
		EarningRule("rate 2", priority=2, points_per_unit=Decimal(2), stackable=True),
		EarningRule("rate 5", priority=1, points_per_unit=Decimal(5), stackable=True),
	]
	assert points([TEA], rules) == 400  # 100 * 2 (rate 2) * 2 (double)


def test_exclusion_rule_zeroes_matching_lines_whatever_its_priority() -> None:
	rules = [
		EarningRule("no gift cards", priority=-5, item_group="Gift Cards", excludes=True),
		EarningRule("triple", priority=5, multiplier=Decimal(3)),
	]
	result = evaluate([TEA, GIFT_CARD], rules, CTX)
	assert [line.value for line in result.lines] == [Decimal(300), Decimal(0)]
	assert result.lines[1].applied_rules == ("no gift cards",)


def test_exclude_discounted_zeroes_discounted_lines_only() -> None:
	discounted_tea = Line("TEA-02", Decimal("40"), item_group="Tea", discounted=True)
	rule = EarningRule("tea double", multiplier=Decimal(2), item_group="Tea", exclude_discounted=True)
	result = evaluate([TEA, discounted_tea, CUP], [rule], CTX)
	assert [line.value for line in result.lines] == [Decimal(200), Decimal(0), Decimal(50)]


def test_discounted_lines_earn_when_no_matching_rule_excludes_them() -> None:
	discounted_cup = Line("CUP-02", Decimal("40"), item_group="Ware", discounted=True)
	rule = EarningRule("tea only", item_group="Tea", exclude_discounted=True)
	assert points([discounted_cup], [rule]) == 40


def test_lines_with_non_positive_amounts_are_worth_nothing() -> None:
	returned = Line("TEA-01", Decimal("-30"), item_group="Tea")
	free = Line("SAMPLE", Decimal(0))
	result = evaluate([TEA, returned, free], [], CTX)
	assert [line.value for line in result.lines] == [Decimal(100), Decimal(0), Decimal(0)]
	assert result.points == 100


def test_min_spend_counts_positive_amounts_only() -> None:
	rule = EarningRule("big basket", multiplier=Decimal(2), min_spend=Decimal(150))
	assert points([TEA, CUP], [rule]) == 300
	assert points([TEA, CUP, Line("RET", Decimal("-1"))], [rule]) == 300
	assert points([TEA, Line("CUP-01", Decimal("49.99"))], [rule]) == 149


@pytest.mark.parametrize(
	("valid_from", "valid_to", "in_force"),
	[
		(None, None, True),
		(POSTING_DATE, POSTING_DATE, True),
		(date(2025, 6, 1), None, True),
		(None, date(2025, 6, 30), True),
		(date(2025, 6, 16), None, False),
		(None, date(2025, 6, 14), False),
	],
)
def test_date_range_is_inclusive(valid_from: date | None, valid_to: date | None, in_force: bool) -> None:
	rule = EarningRule("double", multiplier=Decimal(2), valid_from=valid_from, valid_to=valid_to)
	assert points([TEA], [rule]) == (200 if in_force else 100)


def test_a_rule_out_of_force_does_not_exclude() -> None:
	rule = EarningRule("no tea", excludes=True, item_group="Tea", valid_to=date(2025, 6, 1))
	assert points([TEA], [rule]) == 100


@pytest.mark.parametrize(
	("ctx_tier", "ctx_channel", "in_force"),
	[
		("Gold", "POS", True),
		("Silver", "POS", False),
		(None, "POS", False),
		("Gold", "Web", False),
		("Gold", None, False),
	],
)
def test_tier_and_channel_conditions(ctx_tier: str | None, ctx_channel: str | None, in_force: bool) -> None:
	ctx = EarnContext(POSTING_DATE, Decimal(1), Rounding.DOWN, tier=ctx_tier, channel=ctx_channel)
	rule = EarningRule("gold in store", multiplier=Decimal(2), tier="Gold", channel="POS")
	assert points([TEA], [rule], ctx) == (200 if in_force else 100)


def test_negative_rates_and_multipliers_are_rejected() -> None:
	with pytest.raises(ValueError):
		EarningRule("bad", points_per_unit=Decimal("-1"))
	with pytest.raises(ValueError):
		EarningRule("bad", multiplier=Decimal("-0.5"))
	with pytest.raises(ValueError):
		EarnContext(POSTING_DATE, Decimal("-1"), Rounding.DOWN)
	with pytest.raises(ValueError):
		EarnContext(POSTING_DATE, Decimal(1), Rounding.DOWN, tier_multiplier=Decimal("-1"))


def test_no_lines() -> None:
	assert evaluate([], [], CTX) == evaluate([], [EarningRule("double", multiplier=Decimal(2))], CTX)
	assert evaluate([], [], CTX).points == 0


optional_name = st.none() | st.sampled_from(["x", "y"])
lines_strategy = st.lists(
	st.builds(
		Line,
		item_code=st.sampled_from(["A", "B", "C"]),
		amount=st.integers(min_value=-5_000, max_value=100_000).map(lambda cents: Decimal(cents) / 100),
		item_group=optional_name,
		brand=optional_name,
		discounted=st.booleans(),
	),
	max_size=6,
)
rule_fields = {
	"priority": st.integers(min_value=0, max_value=3),
	"points_per_unit": st.none() | st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(2), Decimal("0.1")]),
	"multiplier": st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(1), Decimal("1.5"), Decimal(3)]),
	"item_code": st.none() | st.sampled_from(["A", "B"]),
	"item_group": optional_name,
	"brand": optional_name,
	"valid_from": st.none() | st.dates(date(2025, 6, 10), date(2025, 6, 20)),
	"valid_to": st.none() | st.dates(date(2025, 6, 10), date(2025, 6, 20)),
	"tier": st.none() | st.sampled_from(["Gold", "Silver"]),
	"channel": st.none() | st.sampled_from(["POS", "Web"]),
	"min_spend": st.integers(min_value=0, max_value=2_000).map(Decimal),
	"exclude_discounted": st.booleans(),
	"stackable": st.booleans(),
}
rules_strategy = st.lists(
	st.builds(
		EarningRule, name=st.text("abcd", min_size=1, max_size=3), excludes=st.booleans(), **rule_fields
	),
	max_size=5,
	unique_by=lambda rule: rule.name,
)
exclusion_strategy = st.builds(EarningRule, name=st.just("exclusion"), excludes=st.just(True), **rule_fields)
ctx_strategy = st.builds(
	EarnContext,
	posting_date=st.just(POSTING_DATE),
	points_per_unit=st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(2)]),
	rounding=st.sampled_from(Rounding),
	tier=st.none() | st.sampled_from(["Gold", "Silver"]),
	tier_multiplier=st.sampled_from([Decimal(1), Decimal("1.25"), Decimal(2)]),
	channel=st.none() | st.sampled_from(["POS", "Web"]),
)


@given(lines_strategy, rules_strategy, ctx_strategy, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_line_or_rule_order(
	lines: list[Line], rules: list[EarningRule], ctx: EarnContext, random: Random
) -> None:
	shuffled_lines = random.sample(lines, len(lines))
	shuffled_rules = random.sample(rules, len(rules))
	result = evaluate(lines, rules, ctx)
	shuffled = evaluate(shuffled_lines, shuffled_rules, ctx)
	assert (shuffled.points, shuffled.value) == (result.points, result.value)
	by_line = {line.index: line for line in result.lines}
	for line_result in shuffled.lines:
		original = by_line[lines.index(shuffled_lines[line_result.index])]
		assert (line_result.value, line_result.applied_rules) == (original.value, original.applied_rules)


@given(lines_strategy, rules_strategy, ctx_strategy, exclusion_strategy)
def test_adding_an_exclusion_rule_never_increases_points(
	lines: list[Line], rules: list[EarningRule], ctx: EarnContext, exclusion: EarningRule
) -> None:
	assert evaluate(lines, [*rules, exclusion], ctx).points <= evaluate(lines, rules, ctx).points


@given(lines_strategy, rules_strategy, ctx_strategy)
def test_points_are_the_rounded_sum_of_line_values(
	lines: list[Line], rules: list[EarningRule], ctx: EarnContext
) -> None:
	result = evaluate(lines, rules, ctx)
	assert result.value == sum((line.value for line in result.lines), Decimal(0))
	assert result.points == to_points(result.value, ctx.rounding)
	assert [line.index for line in result.lines] == list(range(len(lines)))
	assert all(line.value >= 0 for line in result.lines)
