"""FIFO consumption of earn lots: the earliest-expiring points are spent and expired first."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime


@dataclass(frozen=True)
class Lot:
	"""The unspent part of one earn entry."""

	lot_id: str
	remaining: int
	expiry_date: date | None
	posted_at: datetime

	def __post_init__(self) -> None:
		if self.remaining < 0:
			raise ValueError(f"Lot {self.lot_id} cannot have negative remaining points")

	def is_expired(self, on_date: date) -> bool:
		"""A lot is still spendable on its expiry date and expired from the next day."""
		return self.expiry_date is not None and self.expiry_date < on_date


@dataclass(frozen=True)
class Allocation:
	lot_id: str
	points: int

	def __post_init__(self) -> None:
		if self.points <= 0:
			raise ValueError(f"Allocation from lot {self.lot_id} must be positive")


class InsufficientPoints(Exception):
	def __init__(self, requested: int, available: int) -> None:
		super().__init__(f"Requested {requested} points, only {available} available")
		self.requested = requested
		self.available = available


def _fifo_key(lot: Lot) -> tuple[bool, date, datetime, str]:
	never_expires = lot.expiry_date is None
	return (never_expires, lot.expiry_date or date.max, lot.posted_at, lot.lot_id)


def spendable(lots: Iterable[Lot], on_date: date) -> list[Lot]:
	"""Unexpired lots with points left, in FIFO order."""
	return sorted((lot for lot in lots if lot.remaining > 0 and not lot.is_expired(on_date)), key=_fifo_key)


def available_points(lots: Iterable[Lot], on_date: date) -> int:
	return sum(lot.remaining for lot in spendable(lots, on_date))


def allocate(lots: Iterable[Lot], points: int, on_date: date) -> list[Allocation]:
	"""Take `points` from the spendable lots in FIFO order, all or nothing."""
	if points <= 0:
		raise ValueError("Points to allocate must be positive")
	candidates = spendable(lots, on_date)
	available = sum(lot.remaining for lot in candidates)
	if available < points:
		raise InsufficientPoints(requested=points, available=available)
	allocations: list[Allocation] = []
	outstanding = points
	for lot in candidates:
		taken = min(lot.remaining, outstanding)
		allocations.append(Allocation(lot.lot_id, taken))
		outstanding -= taken
		if outstanding == 0:
			break
	return allocations


def expiring(lots: Iterable[Lot], on_date: date) -> list[Allocation]:
	"""The whole remainder of every lot expired on `on_date`, in FIFO order."""
	expired = sorted((lot for lot in lots if lot.remaining > 0 and lot.is_expired(on_date)), key=_fifo_key)
	return [Allocation(lot.lot_id, lot.remaining) for lot in expired]


def apply(lots: Sequence[Lot], allocations: Iterable[Allocation]) -> list[Lot]:
	"""The lots, in the given order, with the allocated points taken out."""
	lots_by_id = {lot.lot_id: lot for lot in lots}
	if len(lots_by_id) != len(lots):
		raise ValueError("Duplicate lot id")
	taken: dict[str, int] = {}
	for allocation in allocations:
		if allocation.lot_id not in lots_by_id:
			raise ValueError(f"Unknown lot: {allocation.lot_id}")
		taken[allocation.lot_id] = taken.get(allocation.lot_id, 0) + allocation.points
	for lot_id, points in taken.items():
		if points > lots_by_id[lot_id].remaining:
			raise ValueError(f"Allocation exceeds remaining points of lot {lot_id}")
	return [replace(lot, remaining=lot.remaining - taken.get(lot.lot_id, 0)) for lot in lots]
