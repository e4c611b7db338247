"""Decisions of the points risk rules on plain values: velocity, timing, peer outliers, referral rings."""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from statistics import median

ACTIONS = ("Alert only", "Hold for approval", "Freeze member", "Block")
# MAD of a normal distribution is 0.6745 standard deviations: this makes the robust z comparable to a z-score.
MAD_SCALE = 0.6745


def strongest_action(actions: Iterable[str]) -> str | None:
	"""The most severe of the actions (Block > Freeze member > Hold for approval > Alert only)."""
	ranked = [a for a in actions if a in ACTIONS]
	return max(ranked, key=ACTIONS.index) if ranked else None


def velocity_exceeded(
	points_in_window: int, transactions_in_window: int, max_points: int, max_transactions: int
) -> bool:
	"""True when the window's points or transactions (including the one being checked) pass a limit (0 = none)."""
	return bool(
		(max_points and points_in_window > max_points)
		or (max_transactions and transactions_in_window > max_transactions)
	)


def window_start(moment: datetime, hours: float) -> datetime:
	return moment - timedelta(hours=hours)


def soon_after(start: datetime, moment: datetime, hours: float) -> bool:
	"""True when `moment` falls within `hours` after `start`."""
	return start <= moment <= start + timedelta(hours=hours)


def robust_z(value: float, peers: list[float]) -> float:
	"""How far `value` stands above its peers in robust standard deviations (median and MAD).

	With no spread among the peers (MAD 0), anything above their median is infinitely far, anything else 0.
	"""
	centre = median(peers)
	mad = median(abs(p - centre) for p in peers)
	if mad == 0:
		return float("inf") if value > centre else 0.0
	return MAD_SCALE * (value - centre) / mad


def is_peer_outlier(value: float, peers: list[float], threshold: float, min_peers: int = 3) -> bool:
	"""True when `value` stands more than `threshold` robust deviations above at least `min_peers` peers."""
	if len(peers) < max(min_peers, 1):
		return False
	return robust_z(value, peers) > threshold


def referral_cycle(member: str, referrer: str | None, referrer_of: Callable[[str], str | None]) -> list[str]:
	"""The ring that `member` referred by `referrer` closes, as [member, referrer, ..., member]; [] if none.

	Follows the referred_by links up from the referrer; a chain that comes back to the member is a ring.
	A chain that loops without the member (bad old data) stops instead of running forever.
	"""
	path, seen, current = [member], {member}, referrer
	while current:
		path.append(current)
		if current == member:
			return path
		if current in seen:
			return []
		seen.add(current)
		current = referrer_of(current)
	return []
