from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.risk import (
	is_peer_outlier,
	referral_cycle,
	robust_z,
	soon_after,
	strongest_action,
	velocity_exceeded,
)


def test_strongest_action_ranks_block_over_freeze_over_hold_over_alert():
	assert strongest_action(["Alert only", "Hold for approval"]) == "Hold for approval"
	assert strongest_action(["Freeze member", "Hold for approval", "Alert only"]) == "Freeze member"
	assert strongest_action(["Block", "Freeze member"]) == "Block"
	assert strongest_action([]) is None


def test_velocity_limits_are_exclusive_and_zero_means_no_limit():
	assert not velocity_exceeded(1000, 3, max_points=1000, max_transactions=3)
	assert velocity_exceeded(1001, 1, max_points=1000, max_transactions=0)
	assert velocity_exceeded(10, 4, max_points=0, max_transactions=3)
	assert not velocity_exceeded(10**9, 10**6, max_points=0, max_transactions=0)


def test_soon_after_is_inclusive_of_the_window_end():
	start = datetime(2026, 1, 1, 10)
	assert soon_after(start, start + timedelta(hours=24), 24)
	assert not soon_after(start, start + timedelta(hours=24, seconds=1), 24)
	assert not soon_after(start, start - timedelta(seconds=1), 24)


def test_a_clerk_far_above_peers_is_an_outlier_and_a_typical_one_is_not():
	peers = [3, 4, 5, 4, 6, 5]
	assert is_peer_outlier(40, peers, threshold=3.5)
	assert not is_peer_outlier(6, peers, threshold=3.5)
	# too few peers to compare with
	assert not is_peer_outlier(40, [3, 4], threshold=3.5)


def test_no_spread_among_peers_flags_anything_above_their_median():
	assert robust_z(2, [1, 1, 1]) == float("inf")
	assert robust_z(1, [1, 1, 1]) == 0


@given(st.lists(st.integers(0, 1000), min_size=3, max_size=30), st.integers(0, 1000))
def test_robust_z_grows_with_the_value(peers, value):
	assert robust_z(value + 1, peers) >= robust_z(value, peers)


def test_referral_cycle_is_found_when_the_chain_returns_to_the_member():
	referrer_of = {"B": "C", "C": "A"}.get
	assert referral_cycle("A", "B", referrer_of) == ["A", "B", "C", "A"]
	assert referral_cycle("A", "A", referrer_of) == ["A", "A"]
	assert referral_cycle("D", "B", referrer_of) == []
	assert referral_cycle("A", None, referrer_of) == []


def test_referral_cycle_stops_on_a_loop_that_does_not_include_the_member():
	assert referral_cycle("A", "B", {"B": "C", "C": "B"}.get) == []


@given(st.integers(2, 50))
def test_a_chain_closed_back_to_the_member_is_a_ring_of_its_length(length):
	names = [f"M{i}" for i in range(length)]
	parent = {names[i]: names[i + 1] for i in range(1, length - 1)}
	parent[names[-1]] = names[0]
	ring = referral_cycle(names[0], names[1], parent.get)
	assert ring[0] == ring[-1] == names[0]
	assert len(ring) == length + 1
