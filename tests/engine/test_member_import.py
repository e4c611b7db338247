from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.member_import import ImportLot, parse_row

TODAY = date(2026, 12, 2)
DEFAULT_EXPIRY = date(2027, 12, 1)


def row(**values) -> dict:
	return {"external_member_code": "OLD-1", "member_name": "Li Na", **values}


def codes(parsed) -> list[str]:
	return [code for code, _args in parsed.problems]


def test_lots_with_and_without_dates():
	parsed = parse_row(row(lots="500:2027-06-30; 200 ;0:2027-01-01"), TODAY, DEFAULT_EXPIRY)

	assert parsed.problems == []
	assert parsed.lots == [ImportLot(500, date(2027, 6, 30)), ImportLot(200, DEFAULT_EXPIRY)]
	assert (parsed.points, parsed.earliest_expiry) == (700, date(2027, 6, 30))
	assert parsed.lifetime_earned == 700


def test_a_lot_expiring_today_is_still_good_one_expired_yesterday_is_not():
	assert parse_row(row(lots="5:2026-12-02"), TODAY, None).problems == []
	assert codes(parse_row(row(lots="5:2026-12-01"), TODAY, None)) == ["expired_lot"]


def test_each_kind_of_bad_value_is_named():
	parsed = parse_row(
		row(
			member_name="",
			lots="-5:2027-01-01",
			birthday="1990-13-01",
			join_date="2030-01-01",
			lifetime_redeemed="1.5",
			total_spend="-3",
			marketing_consent="perhaps",
		),
		TODAY,
		None,
	)

	assert codes(parsed) == [
		"missing_name",
		"negative_points",
		"bad_date",
		"future_date",
		"bad_count",
		"bad_amount",
		"bad_consent",
	]


def test_lifetime_earned_below_the_balance_and_reversed_purchase_dates_are_refused():
	parsed = parse_row(
		row(
			lots="100",
			lifetime_earned="50",
			first_purchase_date="2025-05-01",
			last_purchase_date="2024-01-01",
		),
		TODAY,
		None,
	)

	assert codes(parsed) == ["earned_below_balance", "purchase_dates_reversed"]


def test_consent_unknown_is_no_consent():
	parsed = parse_row(row(marketing_consent="", data_processing_consent="是"), TODAY, None)

	assert (parsed.marketing_consent, parsed.data_processing_consent) == (False, True)


@given(st.lists(st.tuples(st.integers(0, 10**7), st.dates(TODAY, date(2040, 1, 1))), max_size=6))
def test_written_lots_read_back_as_written(lots):
	text = "; ".join(f"{points}:{expiry.isoformat()}" for points, expiry in lots)

	parsed = parse_row(row(lots=text), TODAY, None)

	assert parsed.problems == []
	assert parsed.lots == [ImportLot(points, expiry) for points, expiry in lots if points]
	assert parsed.points == sum(points for points, _expiry in lots)


def test_a_value_longer_than_a_column_holds_is_refused_not_cut():
	parsed = parse_row(row(member_name="x" * 141, lots="; ".join(["5:2027-01-01"] * 20)), TODAY, None)

	assert codes(parsed) == ["too_long"]
	assert parsed.points == 100
