from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
	Bundle,
	MultipleResults,
	RuleBasedStateMachine,
	consumes,
	invariant,
	multiple,
	rule,
)

from loyalty_app.engine.fifo import Allocation, InsufficientPoints, spendable
from loyalty_app.engine.ledger import Entry, EntryKind, MemberLedger

from .assertions import assert_fifo_allocation

JUNE_1 = date(2025, 6, 1)


def at(day: date) -> datetime:
	return datetime.combine(day, time(9))


def remaining(ledger: MemberLedger) -> dict[str, int]:
	return {lot.lot_id: lot.remaining for lot in ledger.lots}


@pytest.fixture
def ledger() -> MemberLedger:
	return MemberLedger()


def test_earn_creates_a_lot_and_credits_the_balance(ledger: MemberLedger) -> None:
	lot_id = ledger.earn(100, at(JUNE_1), date(2025, 12, 31))
	assert ledger.balance == 100
	assert remaining(ledger) == {lot_id: 100}
	assert [(entry.kind, entry.points) for entry in ledger.entries] == [(EntryKind.EARN, 100)]


def test_earn_rejects_non_positive_points(ledger: MemberLedger) -> None:
	with pytest.raises(ValueError):
		ledger.earn(0, at(JUNE_1))


def test_redeem_spends_the_earliest_expiring_points_first(ledger: MemberLedger) -> None:
	forever = ledger.earn(100, at(JUNE_1))
	late = ledger.earn(50, at(JUNE_1), date(2025, 12, 31))
	soon = ledger.earn(30, at(date(2025, 6, 2)), date(2025, 7, 31))
	assert ledger.redeem(60, JUNE_1) == [Allocation(soon, 30), Allocation(late, 30)]
	assert remaining(ledger) == {forever: 100, late: 20, soon: 0}
	assert ledger.balance == 120


def test_redeem_without_enough_points_changes_nothing(ledger: MemberLedger) -> None:
	ledger.earn(10, at(JUNE_1), date(2025, 6, 10))
	ledger.earn(10, at(JUNE_1))
	with pytest.raises(InsufficientPoints):
		ledger.redeem(11, date(2025, 6, 11))
	assert ledger.balance == 20
	assert len(ledger.entries) == 2


def test_expire_is_idempotent(ledger: MemberLedger) -> None:
	ledger.earn(40, at(JUNE_1), date(2025, 6, 30))
	ledger.earn(60, at(JUNE_1))
	assert ledger.expire(date(2025, 6, 30)) == 0
	assert ledger.expire(date(2025, 7, 1)) == 40
	assert ledger.expire(date(2025, 7, 1)) == 0
	assert ledger.balance == 60
	assert [(entry.kind, entry.points) for entry in ledger.entries][-1] == (EntryKind.EXPIRE, -40)


def test_reverse_earn_takes_back_only_what_remains(ledger: MemberLedger) -> None:
	lot_id = ledger.earn(100, at(JUNE_1))
	ledger.redeem(70, JUNE_1)
	assert ledger.reverse_earn(lot_id) == 30
	assert ledger.reverse_earn(lot_id) == 0
	assert ledger.balance == 0


def test_reverse_earn_rejects_an_unknown_lot(ledger: MemberLedger) -> None:
	with pytest.raises(ValueError):
		ledger.reverse_earn("LOT-404")


def test_restore_redeem_gives_points_back_to_the_same_lots(ledger: MemberLedger) -> None:
	first = ledger.earn(50, at(JUNE_1), date(2025, 6, 30))
	second = ledger.earn(50, at(JUNE_1))
	allocations = ledger.redeem(80, JUNE_1)
	assert ledger.restore_redeem(allocations) == 80
	assert remaining(ledger) == {first: 50, second: 50}
	assert ledger.balance == 100


def test_restore_redeem_cannot_restore_twice(ledger: MemberLedger) -> None:
	ledger.earn(50, at(JUNE_1))
	allocations = ledger.redeem(20, JUNE_1)
	ledger.restore_redeem(allocations)
	with pytest.raises(ValueError):
		ledger.restore_redeem(allocations)
	assert ledger.balance == 50


def test_restore_redeem_forfeits_points_of_reversed_lots(ledger: MemberLedger) -> None:
	reversed_lot = ledger.earn(50, at(JUNE_1), date(2025, 6, 30))
	kept_lot = ledger.earn(50, at(JUNE_1))
	allocations = ledger.redeem(80, JUNE_1)
	assert ledger.reverse_earn(reversed_lot) == 0
	assert ledger.restore_redeem(allocations) == 30
	assert remaining(ledger) == {reversed_lot: 0, kept_lot: 50}
	assert ledger.balance == 50


def test_points_restored_to_an_expired_lot_expire_on_the_next_run(ledger: MemberLedger) -> None:
	lot_id = ledger.earn(50, at(JUNE_1), date(2025, 6, 30))
	allocations = ledger.redeem(50, JUNE_1)
	assert ledger.expire(date(2025, 7, 1)) == 0
	ledger.restore_redeem(allocations)
	assert ledger.expire(date(2025, 7, 1)) == 50
	assert remaining(ledger) == {lot_id: 0}


class LedgerMachine(RuleBasedStateMachine):
	"""Random earn/redeem/expire/reverse/restore sequences against the ledger's invariants."""

	lots = Bundle("lots")
	redemptions = Bundle("redemptions")

	def __init__(self) -> None:
		super().__init__()
		self.ledger = MemberLedger()
		self.today = JUNE_1
		self.entries_seen: tuple[Entry, ...] = ()

	@rule(days=st.integers(min_value=0, max_value=5))
	def advance(self, days: int) -> None:
		self.today += timedelta(days=days)

	@rule(
		target=lots, points=st.integers(min_value=1, max_value=100), valid_days=st.none() | st.integers(0, 10)
	)
	def earn(self, points: int, valid_days: int | None) -> str:
		expiry_date = None if valid_days is None else self.today + timedelta(days=valid_days)
		posted_at = at(self.today) + timedelta(seconds=len(self.ledger.entries))
		return self.ledger.earn(points, posted_at, expiry_date)

	@rule(target=redemptions, points=st.integers(min_value=1, max_value=150))
	def redeem(self, points: int) -> tuple[Allocation, ...] | MultipleResults[tuple[Allocation, ...]]:
		fifo_order = spendable(self.ledger.lots, self.today)
		available = sum(lot.remaining for lot in fifo_order)
		try:
			allocations = self.ledger.redeem(points, self.today)
		except InsufficientPoints as error:
			assert error.available == available < points
			return multiple()
		assert_fifo_allocation(fifo_order, allocations, points)
		return tuple(allocations)

	@rule()
	def expire(self) -> None:
		"""Expiry takes exactly what is left in expired lots, and nothing on a second run."""
		expected = sum(lot.remaining for lot in self.ledger.lots if lot.is_expired(self.today))
		assert self.ledger.expire(self.today) == expected
		assert self.ledger.expire(self.today) == 0

	@rule(lot_id=lots)
	def reverse_earn(self, lot_id: str) -> None:
		before = remaining(self.ledger)[lot_id]
		assert self.ledger.reverse_earn(lot_id) == before
		assert self.ledger.reverse_earn(lot_id) == 0

	@rule(allocations=consumes(redemptions))
	def restore_redeem(self, allocations: tuple[Allocation, ...]) -> None:
		balance = self.ledger.balance
		restored = self.ledger.restore_redeem(allocations)
		assert 0 <= restored <= sum(allocation.points for allocation in allocations)
		assert self.ledger.balance == balance + restored

	@invariant()
	def balance_is_the_sum_of_entries_and_of_lots(self) -> None:
		lot_total = sum(lot.remaining for lot in self.ledger.lots)
		assert self.ledger.balance == sum(entry.points for entry in self.ledger.entries) == lot_total >= 0

	@invariant()
	def entries_are_append_only(self) -> None:
		entries = self.ledger.entries
		assert entries[: len(self.entries_seen)] == self.entries_seen
		self.entries_seen = entries

	@invariant()
	def every_lot_is_accounted_for_by_its_entries(self) -> None:
		signed_by_lot: Counter[str] = Counter()
		for entry in self.ledger.entries:
			sign = 1 if entry.points > 0 else -1
			assert entry.points == sign * sum(allocation.points for allocation in entry.allocations)
			for allocation in entry.allocations:
				signed_by_lot[allocation.lot_id] += sign * allocation.points
		assert signed_by_lot == Counter({lot.lot_id: lot.remaining for lot in self.ledger.lots})


TestLedgerMachine = LedgerMachine.TestCase
