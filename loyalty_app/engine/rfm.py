"""RFM segments from 1-5 scores (recency: 5 = most recent; frequency and monetary: 5 = most).

The nightly job scores members by quintile in SQL (ties scoring alike) and names the segment with the
same rules.
"""

from enum import StrEnum


class Segment(StrEnum):
	CHAMPIONS = "Champions"
	LOYAL = "Loyal"
	POTENTIAL = "Potential"
	NEW = "New"
	AT_RISK = "At risk"
	CANT_LOSE = "Can't lose"
	HIBERNATING = "Hibernating"
	LOST = "Lost"


def segment(recency: int, frequency: int, monetary: int) -> Segment:
	for score in (recency, frequency, monetary):
		if not 1 <= score <= 5:
			raise ValueError("RFM scores run from 1 to 5")
	if recency >= 4 and frequency >= 4:
		return Segment.CHAMPIONS
	if recency <= 2 and frequency >= 4 and monetary >= 4:
		return Segment.CANT_LOSE
	if recency <= 2 and frequency >= 3:
		return Segment.AT_RISK
	if recency >= 3 and frequency >= 3:
		return Segment.LOYAL
	if recency >= 4 and frequency == 1:
		return Segment.NEW
	if recency >= 3:
		return Segment.POTENTIAL
	if recency == 1:
		return Segment.LOST
	return Segment.HIBERNATING
