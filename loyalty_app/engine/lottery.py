"""Points lottery draws: a prize picked from a stored seed by stated weights, never one out of stock.

The roll is a number in [0, total weight) derived from the seed with SHA-256, so anyone holding the draw
log can recompute it. Each prize owns a slice of the roll of its weight, in the lottery's order, and the
no-win weight owns the rest. A roll landing on a prize that is out of stock is a no-win: the other
prizes keep exactly their stated odds.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Prize:
	name: str
	weight: int
	remaining: int

	def __post_init__(self) -> None:
		if self.weight < 0:
			raise ValueError(f"Prize {self.name}: the weight cannot be negative")


@dataclass(frozen=True)
class Draw:
	roll: int
	total_weight: int
	prize: str | None


def total_weight(prizes: Sequence[Prize], no_win_weight: int) -> int:
	return sum(prize.weight for prize in prizes) + no_win_weight


def odds(prizes: Sequence[Prize], no_win_weight: int) -> dict[str, float]:
	"""Each prize's stated chance of being drawn (while in stock)."""
	total = total_weight(prizes, no_win_weight)
	return {prize.name: prize.weight / total for prize in prizes} if total else {}


def roll_of(seed: str, total: int) -> int:
	return int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big") % total


def draw(prizes: Sequence[Prize], no_win_weight: int, seed: str) -> Draw:
	if no_win_weight < 0:
		raise ValueError("The no-win weight cannot be negative")
	total = total_weight(prizes, no_win_weight)
	if total <= 0:
		raise ValueError("A lottery needs a positive total weight")
	roll = roll_of(seed, total)
	floor = 0
	for prize in prizes:
		if roll < floor + prize.weight:
			return Draw(roll, total, prize.name if prize.remaining > 0 else None)
		floor += prize.weight
	return Draw(roll, total, None)
