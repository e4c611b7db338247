"""A member's lifecycle stage from their purchase history (the nightly job computes the same in SQL)."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Stage(StrEnum):
	NEW = "New"
	FIRST_PURCHASE = "First purchase"
	ACTIVE = "Active"
	LOYAL = "Loyal"
	AT_RISK = "At risk"
	LAPSED = "Lapsed"
	WON_BACK = "Won back"


CHURNED = (Stage.AT_RISK, Stage.LAPSED)


@dataclass(frozen=True)
class LifecycleRules:
	loyal_min_purchases: int = 5
	at_risk_factor: float = 2.0
	at_risk_days: int = 90
	lapsed_days: int = 180


@dataclass(frozen=True)
class History:
	purchase_count: int
	first_purchase: date | None
	last_purchase: date | None
	previous_stage: Stage | None = None
	feedback_risk: str = ""  # why the member's feedback puts them at risk (engine.engagement.feedback_risk)
	feedback_risk_until: date | None = None  # None: until the complaint behind it is closed
	last_attended: date | None = None  # the last member event the member came to


def usual_interval(history: History) -> float | None:
	"""Average days between purchases; unknown before the second purchase."""
	if history.purchase_count < 2 or not (history.first_purchase and history.last_purchase):
		return None
	return (history.last_purchase - history.first_purchase).days / (history.purchase_count - 1)


def stage(history: History, today: date, rules: LifecycleRules) -> tuple[Stage, str]:
	"""The stage and, for at risk and lapsed, the reason in words (English; the desk translates stages)."""
	if history.purchase_count <= 0 or not history.last_purchase:
		return Stage.NEW, ""
	quiet = (today - history.last_purchase).days
	if quiet > rules.lapsed_days:
		return Stage.LAPSED, f"No purchase for {quiet} days (lapsed after {rules.lapsed_days})"
	if history.feedback_risk and (
		history.feedback_risk_until is None or history.feedback_risk_until >= today
	):
		return Stage.AT_RISK, history.feedback_risk
	# Coming to a member event counts as contact: the at-risk clock runs from the later of the two.
	out_of_touch = (today - max(history.last_purchase, history.last_attended or history.last_purchase)).days
	interval = usual_interval(history)
	if interval is not None and out_of_touch > interval * rules.at_risk_factor:
		return Stage.AT_RISK, f"No purchase for {quiet} days; usually every {interval:.0f} days"
	if out_of_touch > rules.at_risk_days:
		return Stage.AT_RISK, f"No purchase for {quiet} days (at risk after {rules.at_risk_days})"
	if history.purchase_count >= rules.loyal_min_purchases:
		return Stage.LOYAL, ""
	if history.previous_stage in (*CHURNED, Stage.WON_BACK):
		return Stage.WON_BACK, ""
	if history.purchase_count == 1:
		return Stage.FIRST_PURCHASE, ""
	return Stage.ACTIVE, ""
