"""When a message may go out: quiet hours (a daily window, possibly across midnight), the per-member
frequency cap on marketing messages, and when a failed delivery is tried again."""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class QuietHours:
	"""Messages wait from `start` until `end` every day; start > end means the window crosses midnight.
	No window when either end is missing or both are equal."""

	start: time | None
	end: time | None

	def is_quiet(self, at: time) -> bool:
		if self.start is None or self.end is None or self.start == self.end:
			return False
		if self.start < self.end:
			return self.start <= at < self.end
		return at >= self.start or at < self.end

	def next_allowed(self, moment: datetime) -> datetime:
		"""`moment` itself outside the window, else the window's end (today or tomorrow)."""
		if not self.is_quiet(moment.time()):
			return moment
		end_today = datetime.combine(moment.date(), self.end)
		return end_today if end_today > moment else end_today + timedelta(days=1)


def retry_at(failed_at: datetime, attempt: int, max_attempts: int, first_delay: timedelta) -> datetime | None:
	"""When to try again after attempt number `attempt` failed: the delay doubles with each attempt;
	None after the last attempt (the message then stays failed)."""
	if attempt >= max_attempts:
		return None
	return failed_at + first_delay * 2 ** (attempt - 1)


@dataclass(frozen=True)
class Candidate:
	message: str
	member: str
	is_marketing: bool


@dataclass(frozen=True)
class FrequencyCap:
	"""At most `messages` marketing messages per member in any `days` days; 0 messages means no cap."""

	messages: int
	days: int

	def window_start(self, now: datetime) -> datetime:
		return now - timedelta(days=self.days)

	def split(
		self, candidates: Iterable[Candidate], sent_in_window: Mapping[str, int]
	) -> tuple[list[str], list[str]]:
		"""(messages allowed, messages capped), in the candidates' order: marketing messages are
		allowed while the member's count in the window (already sent plus allowed here) stays under
		the cap; service messages are always allowed and never counted."""
		allowed: list[str] = []
		capped: list[str] = []
		counts = Counter(sent_in_window)
		for candidate in candidates:
			if not candidate.is_marketing or not self.messages:
				allowed.append(candidate.message)
			elif counts[candidate.member] < self.messages:
				counts[candidate.member] += 1
				allowed.append(candidate.message)
			else:
				capped.append(candidate.message)
		return allowed, capped
