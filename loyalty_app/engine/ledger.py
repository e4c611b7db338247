"""In-memory model of one member's points ledger.

It documents, and lets property tests check, the invariants the database services keep:
entries are append-only; the balance is the sum of the entries and equals the points left in
the lots; no lot ever goes negative; redemptions and expiries consume lots in FIFO order; and
every point earned into a lot is either still there or was redeemed, expired or reversed once.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from loyalty_app.engine.fifo import Allocation, Lot, allocate, apply, expiring


class EntryKind(StrEnum):
	EARN = "Earn"
	REDEEM = "Redeem"
	EXPIRE = "Expire"
	REVERSE_EARN = "Reverse Earn"
	RESTORE_REDEEM = "Restore Redeem"


@dataclass(frozen=True)
class Entry:
	"""`points` is signed (credits positive); `allocations` are the lots credited or debited."""

	kind: EntryKind
	points: int
	allocations: tuple[Allocation, ...]


class MemberLedger:
	def __init__(self) -> None:
		self._entries: list[Entry] = []
		self._lots: dict[str, Lot] = {}
		self._reversed_lot_ids: set[str] = set()

	@property
	def entries(self) -> tuple[Entry, ...]:
		return tuple(self._entries)

	@property
	def lots(self) -> tuple[Lot, ...]:
		return tuple(self._lots.values())

	@property
	def balance(self) -> int:
		return sum(entry.points for entry in self._entries)

	def earn(self, points: int, posted_at: datetime, expiry_date: date | None = None) -> str:
		"""Credit `points` as a new lot and return its id."""
		if points <= 0:
			raise ValueError("Points to earn must be positive")
		lot_id = f"LOT-{len(self._lots) + 1:06d}"
		self._lots[lot_id] = Lot(lot_id, points, expiry_date, posted_at)
		self._record(EntryKind.EARN, (Allocation(lot_id, points),), sign=1)
		return lot_id

	def redeem(self, points: int, on_date: date) -> list[Allocation]:
		"""Debit `points` from the spendable lots in FIFO order; raises InsufficientPoints."""
		allocations = allocate(self.lots, points, on_date)
		self._debit(EntryKind.REDEEM, allocations)
		return allocations

	def expire(self, on_date: date) -> int:
		"""Debit everything left in lots expired on `on_date`; return the points expired."""
		return self._debit(EntryKind.EXPIRE, expiring(self.lots, on_date))

	def reverse_earn(self, lot_id: str) -> int:
		"""Debit what is left of an earn lot and close it; points already spent stay spent."""
		if lot_id not in self._lots:
			raise ValueError(f"Unknown lot: {lot_id}")
		self._reversed_lot_ids.add(lot_id)
		remaining = self._lots[lot_id].remaining
		return self._debit(EntryKind.REVERSE_EARN, [Allocation(lot_id, remaining)] if remaining else [])

	def restore_redeem(self, allocations: Sequence[Allocation]) -> int:
		"""Undo a redemption by crediting its points back to the lots they came from.

		Points that came from a reversed lot are forfeited, not restored. Points restored to an
		expired lot are debited by the next `expire`. Returns the points restored.
		"""
		requested: Counter[str] = Counter()
		for allocation in allocations:
			requested[allocation.lot_id] += allocation.points
		redeemed = self._redeemed_by_lot()
		for lot_id, points in requested.items():
			if points > redeemed[lot_id]:
				raise ValueError(f"Cannot restore more points than were redeemed from lot {lot_id}")
		restored = tuple(
			allocation for allocation in allocations if allocation.lot_id not in self._reversed_lot_ids
		)
		for allocation in restored:
			lot = self._lots[allocation.lot_id]
			self._lots[lot.lot_id] = replace(lot, remaining=lot.remaining + allocation.points)
		return self._record(EntryKind.RESTORE_REDEEM, restored, sign=1)

	def _debit(self, kind: EntryKind, allocations: Sequence[Allocation]) -> int:
		self._lots = {lot.lot_id: lot for lot in apply(self.lots, allocations)}
		return self._record(kind, allocations, sign=-1)

	def _record(self, kind: EntryKind, allocations: Sequence[Allocation], sign: int) -> int:
		points = sum(allocation.points for allocation in allocations)
		if points:
			self._entries.append(Entry(kind, sign * points, tuple(allocations)))
		return points

	def _redeemed_by_lot(self) -> Counter[str]:
		"""Points redeemed from each lot and not restored yet."""
		redeemed: Counter[str] = Counter()
		for entry in self._entries:
			for allocation in entry.allocations:
				if entry.kind is EntryKind.REDEEM:
					redeemed[allocation.lot_id] += allocation.points
				elif entry.kind is EntryKind.RESTORE_REDEEM:
					redeemed[allocation.lot_id] -= allocation.points
		return redeemed
