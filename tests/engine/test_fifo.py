from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.fifo import (
	Allocation,
	InsufficientPoints,
	Lot,
	allocate,
	apply,
	available_points,
	expiring,
	spendable,
)

from .assertions import assert_fifo_allocation

TODAY = date(2025, 6, 15)


def lot(lot_id: str, remaining: int, expiry_date: date | None, posted_day: int = 1) -> Lot:
	return Lot(lot_id, remaining, expiry_date, datetime(2025, 1, posted_day, 12, 0))


LOTS = [
	lot("never", 100, None),
	lot("july", 30, date(2025, 7, 31)),
	lot("today", 20, TODAY),
	lot("expired", 50, date(2025, 6, 14)),
	lot("empty", 0, date(2025, 6, 30)),
	lot("july-later", 40, date(2025, 7, 31), posted_day=2),
]


def test_spendable_is_unexpired_lots_with_points_in_fifo_order() -> None:
	assert [lot.lot_id for lot in spendable(LOTS, TODAY)] == ["today", "july", "july-later", "never"]


def test_a_lot_is_spendable_on_its_expiry_date_and_expired_the_day_after() -> None:
	assert available_points([lot("a", 5, TODAY)], TODAY) == 5
	assert available_points([lot("a", 5, TODAY)], date(2025, 6, 16)) == 0


def test_ties_are_broken_by_posting_time_then_lot_id() -> None:
	lots = [
		lot("c", 1, TODAY, posted_day=2),
		lot("b", 1, TODAY),
		lot("a", 1, TODAY),
		Lot("early", 1, TODAY, datetime(2024, 12, 31)),
	]
	assert [lot.lot_id for lot in spendable(lots, TODAY)] == ["early", "a", "b", "c"]


def test_available_points() -> None:
	assert available_points(LOTS, TODAY) == 190
	assert available_points([], TODAY) == 0


def test_allocate_consumes_earliest_expiry_first() -> None:
	assert allocate(LOTS, 60, TODAY) == [
		Allocation("today", 20),
		Allocation("july", 30),
		Allocation("july-later", 10),
	]


def test_allocate_everything() -> None:
	assert sum(allocation.points for allocation in allocate(LOTS, 190, TODAY)) == 190


def test_allocate_raises_without_enough_points() -> None:
	with pytest.raises(InsufficientPoints) as raised:
		allocate(LOTS, 191, TODAY)
	assert (raised.value.requested, raised.value.available) == (191, 190)


@pytest.mark.parametrize("points", [0, -5])
def test_allocate_rejects_non_positive_points(points: int) -> None:
	with pytest.raises(ValueError):
		allocate(LOTS, points, TODAY)


def test_expiring_takes_the_whole_remainder_of_expired_lots() -> None:
	assert expiring(LOTS, TODAY) == [Allocation("expired", 50)]
	assert expiring(LOTS, date(2025, 8, 1)) == [
		Allocation("expired", 50),
		Allocation("today", 20),
		Allocation("july", 30),
		Allocation("july-later", 40),
	]


def test_apply_reduces_remaining_and_keeps_order() -> None:
	result = apply(LOTS, [Allocation("today", 20), Allocation("july", 10), Allocation("july", 5)])
	assert [(lot.lot_id, lot.remaining) for lot in result] == [
		("never", 100),
		("july", 15),
		("today", 0),
		("expired", 50),
		("empty", 0),
		("july-later", 40),
	]


def test_apply_rejects_overdrawing_a_lot() -> None:
	with pytest.raises(ValueError):
		apply(LOTS, [Allocation("today", 15), Allocation("today", 6)])


def test_apply_rejects_an_unknown_lot() -> None:
	with pytest.raises(ValueError):
		apply(LOTS, [Allocation("nope", 1)])


def test_apply_rejects_duplicate_lot_ids() -> None:
	with pytest.raises(ValueError):
		apply([lot("a", 1, None), lot("a", 2, None)], [])


def test_values_reject_negative_points() -> None:
	with pytest.raises(ValueError):
		lot("a", -1, None)
	with pytest.raises(ValueError):
		Allocation("a", 0)


lots_strategy = st.lists(
	st.builds(
		Lot,
		lot_id=st.text("abc", min_size=1, max_size=3),
		remaining=st.integers(min_value=0, max_value=100),
		expiry_date=st.none() | st.dates(date(2025, 6, 10), date(2025, 6, 20)),
		posted_at=st.datetimes(datetime(2025, 1, 1), datetime(2025, 1, 3)),
	),
	max_size=8,
	unique_by=lambda lot: lot.lot_id,
)


@given(lots_strategy, st.integers(min_value=1, max_value=500))
def test_allocate_takes_a_fifo_prefix_of_the_requested_size(lots: list[Lot], points: int) -> None:
	candidates = spendable(lots, TODAY)
	try:
		allocations = allocate(lots, points, TODAY)
	except InsufficientPoints as error:
		assert error.available == available_points(lots, TODAY) < points
		return
	assert_fifo_allocation(candidates, allocations, points)
	remaining_before = sum(lot.remaining for lot in lots)
	assert sum(lot.remaining for lot in apply(lots, allocations)) == remaining_before - points


@given(lots_strategy)
def test_expiring_then_applying_leaves_nothing_to_expire(lots: list[Lot]) -> None:
	after = apply(lots, expiring(lots, TODAY))
	assert expiring(after, TODAY) == []
	assert available_points(after, TODAY) == available_points(lots, TODAY)
