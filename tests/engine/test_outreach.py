from datetime import datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.outreach import Candidate, FrequencyCap, QuietHours, retry_at

NIGHT = QuietHours(time(22, 0), time(8, 0))
LUNCH = QuietHours(time(12, 0), time(14, 0))


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
	return datetime(2026, 3, day, hour, minute)


def test_window_across_midnight():
	assert NIGHT.is_quiet(time(22, 0))
	assert NIGHT.is_quiet(time(23, 59))
	assert NIGHT.is_quiet(time(0, 0))
	assert NIGHT.is_quiet(time(7, 59))
	assert not NIGHT.is_quiet(time(8, 0))
	assert not NIGHT.is_quiet(time(21, 59))


def test_next_allowed_across_midnight():
	assert NIGHT.next_allowed(at(23, 30)) == at(8, 0, day=11)
	assert NIGHT.next_allowed(at(3, 0)) == at(8, 0)
	assert NIGHT.next_allowed(at(8, 0)) == at(8, 0)
	assert NIGHT.next_allowed(at(15, 0)) == at(15, 0)


def test_window_within_a_day():
	assert LUNCH.is_quiet(time(13, 0))
	assert not LUNCH.is_quiet(time(14, 0))
	assert not LUNCH.is_quiet(time(23, 0))
	assert LUNCH.next_allowed(at(12, 0)) == at(14, 0)


def test_no_window():
	for hours in (QuietHours(None, time(8)), QuietHours(time(8), time(8))):
		assert hours.next_allowed(at(3, 0)) == at(3, 0)


times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))


@given(times, times, moments)
def test_next_allowed_is_the_first_moment_outside_the_window(start, end, moment):
	hours = QuietHours(start, end)
	allowed = hours.next_allowed(moment)
	assert allowed >= moment
	assert not hours.is_quiet(allowed.time())
	assert allowed - moment <= timedelta(days=1)
	if allowed > moment:
		assert allowed.time() == end
		# every whole minute between the two is quiet
		probe = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
		while probe < allowed:
			assert hours.is_quiet(probe.time())
			probe += timedelta(minutes=17)


def test_cap_counts_marketing_messages_already_sent_and_in_this_batch():
	cap = FrequencyCap(messages=2, days=7)
	candidates = [
		Candidate("a1", "A", True),
		Candidate("a2", "A", True),
		Candidate("a3", "A", False),
		Candidate("b1", "B", True),
		Candidate("b2", "B", True),
	]
	allowed, capped = cap.split(candidates, {"A": 1})
	assert allowed == ["a1", "a3", "b1", "b2"]
	assert capped == ["a2"]


def test_no_cap():
	allowed, capped = FrequencyCap(0, 7).split([Candidate("x", "A", True)], {"A": 99})
	assert (allowed, capped) == (["x"], [])


@given(
	st.integers(min_value=1, max_value=5),
	st.dictionaries(st.sampled_from("ABC"), st.integers(min_value=0, max_value=6)),
	st.lists(st.tuples(st.sampled_from("ABC"), st.booleans()), max_size=30),
)
def test_cap_never_exceeded_and_service_never_capped(limit, sent, rows):
	candidates = [Candidate(str(i), member, marketing) for i, (member, marketing) in enumerate(rows)]
	allowed, capped = FrequencyCap(limit, 7).split(candidates, sent)
	assert sorted(allowed + capped, key=int) == [c.message for c in candidates]
	by_id = {c.message: c for c in candidates}
	assert all(by_id[m].is_marketing for m in capped)
	for member in "ABC":
		new = sum(1 for m in allowed if by_id[m].member == member and by_id[m].is_marketing)
		assert new <= max(limit - sent.get(member, 0), 0)
		wanted = sum(1 for c in candidates if c.member == member and c.is_marketing)
		assert new == min(wanted, max(limit - sent.get(member, 0), 0))


def test_a_failed_delivery_is_retried_with_a_doubling_delay_until_the_last_attempt():
	failed = datetime(2030, 5, 6, 12, 0)
	first = timedelta(minutes=5)
	delays = [retry_at(failed, attempt, 5, first) for attempt in range(1, 6)]
	assert delays[:4] == [failed + timedelta(minutes=m) for m in (5, 10, 20, 40)]
	assert delays[4] is None
	assert retry_at(failed, 9, 5, first) is None
