import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.rfm import Segment, segment

scores = st.integers(1, 5)


def test_named_segments():
	assert segment(5, 5, 5) is Segment.CHAMPIONS
	assert segment(1, 5, 5) is Segment.CANT_LOSE
	assert segment(2, 3, 1) is Segment.AT_RISK
	assert segment(3, 4, 2) is Segment.LOYAL
	assert segment(5, 1, 1) is Segment.NEW
	assert segment(3, 2, 5) is Segment.POTENTIAL
	assert segment(1, 1, 3) is Segment.LOST
	assert segment(2, 2, 2) is Segment.HIBERNATING


@given(scores, scores, scores)
def test_every_score_combination_has_exactly_one_segment(r, f, m):
	assert segment(r, f, m) in set(Segment)


@given(scores, scores, scores)
def test_the_most_recent_frequent_buyers_are_never_lost_or_hibernating(r, f, m):
	if r >= 4:
		assert segment(r, f, m) not in (Segment.LOST, Segment.HIBERNATING, Segment.AT_RISK, Segment.CANT_LOSE)


def test_scores_outside_one_to_five_are_refused():
	with pytest.raises(ValueError):
		segment(0, 3, 3)
