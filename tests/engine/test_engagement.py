from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.engagement import (
	WEEKDAYS,
	Feedback,
	FeedbackKind,
	FeedbackRules,
	Recurrence,
	Repeats,
	feedback_risk,
)

TODAY = date(2026, 5, 20)
RULES = FeedbackRules(negative_rating=2, rating_drop=2.0, risk_days=30)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
recurrences = st.one_of(
	st.builds(Recurrence, st.just(Repeats.MONTHLY), day=st.integers(1, 31)),
	st.builds(Recurrence, st.just(Repeats.WEEKLY), weekday=st.sampled_from(WEEKDAYS)),
)


def test_monthly_member_day_falls_on_the_last_day_of_short_months():
	the_31st = Recurrence(Repeats.MONTHLY, day=31)
	assert the_31st.occurs_on(date(2026, 2, 28))
	assert not the_31st.occurs_on(date(2026, 3, 30))
	assert the_31st.next_on_or_after(date(2026, 4, 1)) == date(2026, 4, 30)
	assert Recurrence(Repeats.MONTHLY, day=8).next_on_or_after(date(2026, 12, 9)) == date(2027, 1, 8)


def test_weekly_member_day():
	wednesday = Recurrence(Repeats.WEEKLY, weekday="Wednesday")
	assert wednesday.occurs_on(date(2026, 5, 20))
	assert not wednesday.occurs_on(date(2026, 5, 21))
	assert wednesday.next_on_or_after(date(2026, 5, 21)) == date(2026, 5, 27)


def test_bad_recurrences_are_refused():
	with pytest.raises(ValueError):
		Recurrence(Repeats.MONTHLY, day=32)
	with pytest.raises(ValueError):
		Recurrence(Repeats.WEEKLY, weekday="Funday")


@given(recurrences, days)
def test_next_occurrence_is_the_first_matching_day(recurrence, start):
	found = recurrence.next_on_or_after(start)
	assert recurrence.occurs_on(found)
	assert start <= found < start + timedelta(days=31)
	assert not any(recurrence.occurs_on(start + timedelta(days=n)) for n in range((found - start).days))


@given(recurrences, days)
def test_a_monthly_day_occurs_once_a_month_and_a_weekday_once_a_week(recurrence, on):
	window = 7 if recurrence.repeats is Repeats.WEEKLY else None
	if window:
		week = [on + timedelta(days=n) for n in range(7)]
		assert sum(recurrence.occurs_on(d) for d in week) == 1
	else:
		first = on.replace(day=1)
		month = [
			first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).month == on.month
		]
		assert sum(recurrence.occurs_on(d) for d in month) == 1


def survey(days_ago: int, rating: int) -> Feedback:
	return Feedback(TODAY - timedelta(days=days_ago), FeedbackKind.SURVEY, rating)


def test_an_open_complaint_is_a_risk_until_it_is_closed():
	complaint = Feedback(date(2026, 1, 2), FeedbackKind.COMPLAINT, is_open=True)
	risk = feedback_risk([survey(1, 5), complaint], TODAY, RULES)
	assert (risk.reason, risk.until) == ("Open complaint since 2026-01-02", None)
	closed = Feedback(date(2026, 1, 2), FeedbackKind.COMPLAINT, is_open=False)
	assert feedback_risk([closed], TODAY, RULES) is None


def test_a_negative_rating_is_a_risk_for_the_risk_days():
	risk = feedback_risk([survey(5, 5), survey(3, 2)], TODAY, RULES)
	assert risk.reason == "Rated 2 of 5 on 2026-05-17"
	assert risk.until == date(2026, 6, 16)
	assert feedback_risk([survey(31, 1)], TODAY, RULES) is None
	assert feedback_risk([survey(3, 2), survey(1, 4)], TODAY, RULES) is None  # the latest answer counts


def test_a_drop_in_rating_is_a_risk():
	risk = feedback_risk([survey(60, 5), survey(40, 5), survey(2, 3)], TODAY, RULES)
	assert risk.reason == "Rating dropped from 5.0 to 3 on 2026-05-18"
	assert feedback_risk([survey(60, 4), survey(2, 3)], TODAY, RULES) is None


@given(
	st.lists(
		st.builds(
			Feedback,
			st.dates(min_value=date(2026, 1, 1), max_value=TODAY),
			st.sampled_from(list(FeedbackKind)),
			st.one_of(st.none(), st.integers(1, 5)),
			st.booleans(),
		),
		max_size=12,
	)
)
def test_risk_is_explained_and_never_ends_before_today(feedback):
	risk = feedback_risk(feedback, TODAY, RULES)
	if risk:
		assert risk.reason
		assert risk.until is None or risk.until >= TODAY
	if any(f.kind is FeedbackKind.COMPLAINT and f.is_open for f in feedback):
		assert risk is not None and risk.until is None
