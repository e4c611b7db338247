from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.lifecycle import History, LifecycleRules, Stage, stage, usual_interval

TODAY = date(2026, 11, 23)
RULES = LifecycleRules(loyal_min_purchases=5, at_risk_factor=2.0, at_risk_days=90, lapsed_days=180)


def ago(days: int) -> date:
	return TODAY - timedelta(days=days)


def test_the_stages_in_order_of_a_members_life():
	assert stage(History(0, None, None), TODAY, RULES)[0] is Stage.NEW
	assert stage(History(1, ago(10), ago(10)), TODAY, RULES)[0] is Stage.FIRST_PURCHASE
	assert stage(History(3, ago(60), ago(5)), TODAY, RULES)[0] is Stage.ACTIVE
	assert stage(History(6, ago(100), ago(5)), TODAY, RULES)[0] is Stage.LOYAL
	assert stage(History(1, ago(91), ago(91)), TODAY, RULES)[0] is Stage.AT_RISK
	assert stage(History(3, ago(300), ago(181)), TODAY, RULES)[0] is Stage.LAPSED
	assert stage(History(3, ago(300), ago(1), Stage.LAPSED), TODAY, RULES)[0] is Stage.WON_BACK


def test_at_risk_uses_the_members_own_rhythm():
	# buys every 10 days; 25 quiet days is more than 2 x 10
	weekly, reason = stage(History(4, ago(55), ago(25)), TODAY, RULES)
	assert weekly is Stage.AT_RISK
	assert "usually every 10 days" in reason
	assert usual_interval(History(4, ago(55), ago(25))) == 10


def test_coming_to_a_member_event_keeps_a_quiet_member_in_touch_but_not_from_lapsing():
	quiet = History(1, ago(120), ago(120), Stage.AT_RISK)
	assert stage(quiet, TODAY, RULES)[0] is Stage.AT_RISK
	came_last_week = History(1, ago(120), ago(120), Stage.AT_RISK, last_attended=ago(7))
	assert stage(came_last_week, TODAY, RULES)[0] is Stage.WON_BACK
	long_ago = History(1, ago(120), ago(120), last_attended=ago(100))
	assert stage(long_ago, TODAY, RULES) == (Stage.AT_RISK, "No purchase for 120 days (at risk after 90)")
	gone = History(1, ago(200), ago(200), last_attended=ago(1))
	assert stage(gone, TODAY, RULES)[0] is Stage.LAPSED


@given(
	count=st.integers(0, 50),
	first_days=st.integers(0, 1000),
	gap=st.integers(0, 1000),
	previous=st.none() | st.sampled_from(list(Stage)),
)
def test_stage_is_total_and_at_risk_or_lapsed_always_has_a_reason(count, first_days, gap, previous):
	last = ago(gap)
	history = History(
		count, last - timedelta(days=first_days) if count else None, last if count else None, previous
	)
	result, reason = stage(history, TODAY, RULES)
	assert isinstance(result, Stage)
	assert bool(reason) == (result in (Stage.AT_RISK, Stage.LAPSED))
	if (
		count
		and gap <= min(RULES.at_risk_days, RULES.lapsed_days)
		and (usual_interval(history) is None or gap <= usual_interval(history) * 2)
	):
		assert result not in (Stage.AT_RISK, Stage.LAPSED, Stage.NEW)


def test_feedback_risk_makes_a_buying_member_at_risk_with_its_reason_until_it_ends():
	unhappy = History(3, ago(60), ago(5), Stage.ACTIVE, "Open complaint since 2026-11-20", None)
	assert stage(unhappy, TODAY, RULES) == (Stage.AT_RISK, "Open complaint since 2026-11-20")
	ended = History(3, ago(60), ago(5), Stage.AT_RISK, "Rated 1 of 5 on 2026-10-01", ago(1))
	assert stage(ended, TODAY, RULES)[0] is Stage.WON_BACK
	assert (
		stage(History(0, None, None, None, "Open complaint since 2026-11-20"), TODAY, RULES)[0] is Stage.NEW
	)
	lapsed = History(3, ago(400), ago(200), Stage.AT_RISK, "Open complaint since 2026-11-20")
	assert stage(lapsed, TODAY, RULES)[0] is Stage.LAPSED
