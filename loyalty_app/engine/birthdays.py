"""Which birthdays a day celebrates."""

import calendar
from datetime import date


def celebrated_birthdays(day: date) -> list[tuple[int, int]]:
	"""The (month, day) birthdays celebrated on `day`: its own, and on 28 February of a common year
	also 29 February's, so every birthday is celebrated once a year."""
	birthdays = [(day.month, day.day)]
	if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
		birthdays.append((2, 29))
	return birthdays
