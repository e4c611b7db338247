"""Member days (a recurring day of the month or week) and the churn risk that members' feedback signals."""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Repeats(StrEnum):
	MONTHLY = "Day of month"
	WEEKLY = "Day of week"


@dataclass(frozen=True)
class Recurrence:
	"""Every month on `day` (1-31; a day past the month's end falls on its last day) or every `weekday`."""

	repeats: Repeats
	day: int = 1
	weekday: str = "Monday"

	def __post_init__(self) -> None:
		if self.repeats is Repeats.MONTHLY and not 1 <= self.day <= 31:
			raise ValueError("The day of the month must be from 1 to 31")
		if self.repeats is Repeats.WEEKLY and self.weekday not in WEEKDAYS:
			raise ValueError(f"Unknown weekday {self.weekday}")

	def occurs_on(self, on_date: date) -> bool:
		if self.repeats is Repeats.WEEKLY:
			return on_date.weekday() == WEEKDAYS.index(self.weekday)
		return on_date.day == min(self.day, calendar.monthrange(on_date.year, on_date.month)[1])

	def next_on_or_after(self, on_date: date) -> date:
		if self.repeats is Repeats.WEEKLY:
			return on_date + timedelta(days=(WEEKDAYS.index(self.weekday) - on_date.weekday()) % 7)
		this_month = _monthly_day(on_date.year, on_date.month, self.day)
		if this_month >= on_date:
			return this_month
		year, month = (on_date.year + 1, 1) if on_date.month == 12 else (on_date.year, on_date.month + 1)
		return _monthly_day(year, month, self.day)


def _monthly_day(year: int, month: int, day: int) -> date:
	return date(year, month, min(day, calendar.monthrange(year, month)[1]))


# Feedback and churn risk


class FeedbackKind(StrEnum):
	SURVEY = "Survey"
	COMPLAINT = "Complaint"


@dataclass(frozen=True)
class Feedback:
	on: date
	kind: FeedbackKind
	rating: int | None = None
	is_open: bool = False


@dataclass(frozen=True)
class FeedbackRules:
	negative_rating: int = 2  # a survey rated this or lower (of 5) is negative
	rating_drop: float = 2.0  # the latest rating this far below the member's earlier average is a drop
	risk_days: int = 30  # how long a negative rating or a drop keeps the member at risk


@dataclass(frozen=True)
class FeedbackRisk:
	"""Why feedback puts the member at risk (English, like the lifecycle reasons) and until when
	(None: while a complaint stays open)."""

	reason: str
	until: date | None


def feedback_risk(feedback: Sequence[Feedback], today: date, rules: FeedbackRules) -> FeedbackRisk | None:
	"""An open complaint first, then the latest survey if it is negative or a drop, within risk_days.

	`feedback` is in the order it was given (oldest first), which breaks ties between surveys of one day.
	"""
	open_complaints = sorted(f.on for f in feedback if f.kind is FeedbackKind.COMPLAINT and f.is_open)
	if open_complaints:
		return FeedbackRisk(f"Open complaint since {open_complaints[0].isoformat()}", None)
	rated = sorted(  # stable: surveys of the same day stay in the order given, oldest first
		(f for f in feedback if f.kind is FeedbackKind.SURVEY and f.rating is not None and f.on <= today),
		key=lambda f: f.on,
	)
	if not rated:
		return None
	*earlier, latest = rated
	until = latest.on + timedelta(days=rules.risk_days)
	if until < today:
		return None
	if latest.rating <= rules.negative_rating:
		return FeedbackRisk(f"Rated {latest.rating} of 5 on {latest.on.isoformat()}", until)
	if earlier:
		average = sum(f.rating for f in earlier) / len(earlier)
		if average - latest.rating >= rules.rating_drop:
			return FeedbackRisk(
				f"Rating dropped from {average:.1f} to {latest.rating} on {latest.on.isoformat()}", until
			)
	return None
