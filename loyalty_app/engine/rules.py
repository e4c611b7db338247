"""Earning rules: how many points an invoice's lines earn."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import takewhile

from loyalty_app.engine.engagement import Recurrence
from loyalty_app.engine.points import Rounding, to_points


@dataclass(frozen=True)
class Line:
	item_code: str
	amount: Decimal
	item_group: str | None = None
	brand: str | None = None
	discounted: bool = False


@dataclass(frozen=True)
class EarnContext:
	posting_date: date
	points_per_unit: Decimal
	rounding: Rounding
	tier: str | None = None
	tier_multiplier: Decimal = Decimal(1)
	channel: str | None = None

	def __post_init__(self) -> None:
		if self.points_per_unit < 0:
			raise ValueError("Points per unit cannot be negative")
		if self.tier_multiplier < 0:
			raise ValueError("Tier multiplier cannot be negative")


@dataclass(frozen=True)
class EarningRule:
	"""A rate override and/or multiplier for the lines in its scope, or an exclusion.

	Unset (None or empty) conditions and scope fields match everything.
	"""

	name: str
	priority: int = 0
	points_per_unit: Decimal | None = None
	multiplier: Decimal = Decimal(1)
	item_code: str | None = None
	item_group: str | None = None
	brand: str | None = None
	valid_from: date | None = None
	valid_to: date | None = None
	tier: str | None = None
	channel: str | None = None
	min_spend: Decimal = Decimal(0)
	excludes: bool = False
	exclude_discounted: bool = False
	stackable: bool = False
	recurrence: Recurrence | None = None  # only on these days (a member day), within the dates above

	def __post_init__(self) -> None:
		if self.points_per_unit is not None and self.points_per_unit < 0:
			raise ValueError(f"Rule {self.name}: points per unit cannot be negative")
		if self.multiplier < 0:
			raise ValueError(f"Rule {self.name}: multiplier cannot be negative")

	def in_force(self, ctx: EarnContext, spend: Decimal) -> bool:
		return (
			(self.valid_from is None or self.valid_from <= ctx.posting_date)
			and (self.valid_to is None or ctx.posting_date <= self.valid_to)
			and (self.recurrence is None or self.recurrence.occurs_on(ctx.posting_date))
			and (not self.tier or self.tier == ctx.tier)
			and (not self.channel or self.channel == ctx.channel)
			and spend >= self.min_spend
		)

	def matches(self, line: Line) -> bool:
		return (
			(not self.item_code or self.item_code == line.item_code)
			and (not self.item_group or self.item_group == line.item_group)
			and (not self.brand or self.brand == line.brand)
		)


@dataclass(frozen=True)
class LineResult:
	"""`applied_rules` names the earning rules applied, or for an excluded line the excluding rules."""

	index: int
	value: Decimal
	applied_rules: tuple[str, ...]


@dataclass(frozen=True)
class EarnResult:
	points: int
	value: Decimal
	lines: tuple[LineResult, ...]


def evaluate(lines: Sequence[Line], rules: Sequence[EarningRule], ctx: EarnContext) -> EarnResult:
	"""Value every line, then round the invoice total once to whole points."""
	spend = sum((line.amount for line in lines if line.amount > 0), Decimal(0))
	rules_in_force = sorted(
		(rule for rule in rules if rule.in_force(ctx, spend)), key=lambda rule: (-rule.priority, rule.name)
	)
	results = tuple(_evaluate_line(index, line, rules_in_force, ctx) for index, line in enumerate(lines))
	value = sum((result.value for result in results), Decimal(0))
	return EarnResult(points=to_points(value, ctx.rounding), value=value, lines=results)


def _evaluate_line(index: int, line: Line, rules_in_force: list[EarningRule], ctx: EarnContext) -> LineResult:
	if line.amount <= 0:
		return LineResult(index, Decimal(0), ())
	matching = [rule for rule in rules_in_force if rule.matches(line)]
	excluding = [rule for rule in matching if rule.excludes or (line.discounted and rule.exclude_discounted)]
	if excluding:
		return LineResult(index, Decimal(0), tuple(rule.name for rule in excluding))
	applied = _stack(matching)
	rate = next(
		(rule.points_per_unit for rule in applied if rule.points_per_unit is not None), ctx.points_per_unit
	)
	multiplier = math.prod((rule.multiplier for rule in applied), start=Decimal(1))
	value = line.amount * rate * multiplier * ctx.tier_multiplier
	return LineResult(index, value, tuple(rule.name for rule in applied))


def _stack(candidates: list[EarningRule]) -> list[EarningRule]:
	"""The first candidate, followed by the next ones while it and they are all stackable."""
	if not candidates:
		return []
	first, *rest = candidates
	if not first.stackable:
		return [first]
	return [first, *takewhile(lambda rule: rule.stackable, rest)]
