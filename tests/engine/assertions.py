from loyalty_app.engine.fifo import Allocation, Lot


def assert_fifo_allocation(fifo_order: list[Lot], allocations: list[Allocation], points: int) -> None:
	"""The allocations add up to `points` and drain a FIFO prefix of the lots, only the last one partly."""
	assert sum(allocation.points for allocation in allocations) == points
	*drained, last = allocations
	assert [(allocation.lot_id, allocation.points) for allocation in drained] == [
		(lot.lot_id, lot.remaining) for lot in fifo_order[: len(drained)]
	]
	assert last.lot_id == fifo_order[len(drained)].lot_id
	assert last.points <= fifo_order[len(drained)].remaining
