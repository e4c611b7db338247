import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.lottery import Prize, draw, odds, roll_of

PRIZES = [Prize("jackpot", 1, 10**6), Prize("coupon", 9, 10**6), Prize("points", 40, 10**6)]
NO_WIN = 50


def test_stated_odds():
	assert odds(PRIZES, NO_WIN) == {"jackpot": 0.01, "coupon": 0.09, "points": 0.4}


def test_odds_over_many_seeded_draws_are_within_four_standard_deviations():
	n = 20_000
	counts = Counter(draw(PRIZES, NO_WIN, f"seed-{i}").prize for i in range(n))
	for name, p in {**odds(PRIZES, NO_WIN), None: NO_WIN / 100}.items():
		tolerance = 4 * math.sqrt(p * (1 - p) / n)
		assert abs(counts[name] / n - p) <= tolerance, (name, counts[name] / n, p)


def test_a_draw_is_reproducible_from_its_seed():
	first = draw(PRIZES, NO_WIN, "audit-me")
	assert draw(PRIZES, NO_WIN, "audit-me") == first
	assert first.roll == roll_of("audit-me", 100)


def test_bad_weights_are_refused():
	with pytest.raises(ValueError):
		Prize("x", -1, 1)
	with pytest.raises(ValueError):
		draw([Prize("x", 0, 1)], 0, "s")


prize_lists = st.lists(
	st.builds(Prize, st.text(min_size=1, max_size=5), st.integers(0, 20), st.integers(-2, 3)),
	min_size=1,
	max_size=6,
	unique_by=lambda p: p.name,
)


@given(prize_lists, st.integers(0, 20), st.text(max_size=20))
def test_never_awards_a_prize_out_of_stock_and_keeps_the_roll_in_range(prizes, no_win, seed):
	if sum(p.weight for p in prizes) + no_win == 0:
		return
	result = draw(prizes, no_win, seed)
	assert 0 <= result.roll < result.total_weight
	if result.prize is not None:
		assert next(p for p in prizes if p.name == result.prize).remaining > 0


@given(prize_lists, st.integers(1, 20))
def test_stock_runs_out_but_never_below_zero(prizes, no_win):
	stock = {p.name: max(p.remaining, 0) for p in prizes}
	for i in range(60):
		current = [Prize(p.name, p.weight, stock[p.name]) for p in prizes]
		won = draw(current, no_win, f"s{i}").prize
		if won is not None:
			stock[won] -= 1
	assert all(left >= 0 for left in stock.values())
