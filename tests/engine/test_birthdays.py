from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.birthdays import celebrated_birthdays

EVERY_BIRTHDAY = {(d.month, d.day) for d in (date(2024, 1, 1) + timedelta(days=n) for n in range(366))}


@given(year=st.integers(min_value=1901, max_value=2199))
def test_every_birthday_is_celebrated_exactly_once_a_year(year) -> None:
	first, days = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
	celebrated = Counter(b for n in range(days) for b in celebrated_birthdays(first + timedelta(days=n)))
	assert set(celebrated) == EVERY_BIRTHDAY
	assert set(celebrated.values()) == {1}


def test_29_february_is_celebrated_on_28_february_in_a_common_year_only() -> None:
	assert celebrated_birthdays(date(2027, 2, 28)) == [(2, 28), (2, 29)]
	assert celebrated_birthdays(date(2028, 2, 28)) == [(2, 28)]
	assert celebrated_birthdays(date(2028, 2, 29)) == [(2, 29)]
