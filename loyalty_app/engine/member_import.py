"""Reading one row of a member file from another system: plain values in, typed values or problems out.

A row's problems are (code, arguments) pairs; the import service words them in the user's language.
Whatever needs the database (the mobile's owner, the tier, duplicates in the file) is checked set-based
by the service, not here.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

SLASHED_DATE = "%Y/%m/%d"
YES = {"1", "y", "yes", "true", "是"}
NO = {"0", "n", "no", "false", "否"}
LOT_SEPARATOR = ";"
LOT_EXPIRY_SEPARATOR = ":"
# The longest value a text column holds (Frappe's Data fields); points lots have room for many lots.
MAX_TEXT = 140
LONG_TEXT_FIELDS = {"lots"}


@dataclass(frozen=True)
class ImportLot:
	points: int
	expiry_date: date | None


@dataclass
class ParsedRow:
	"""A row's typed values; `problems` is empty when the row can be imported as far as it alone can tell."""

	lots: list[ImportLot] = field(default_factory=list)
	birthday: date | None = None
	join_date: date | None = None
	first_purchase_date: date | None = None
	last_purchase_date: date | None = None
	lifetime_earned: int = 0
	lifetime_redeemed: int = 0
	total_spend: Decimal = Decimal(0)
	purchase_count: int = 0
	marketing_consent: bool = False
	data_processing_consent: bool = False
	problems: list[tuple[str, tuple]] = field(default_factory=list)

	@property
	def points(self) -> int:
		return sum(lot.points for lot in self.lots)

	@property
	def earliest_expiry(self) -> date | None:
		return min((lot.expiry_date for lot in self.lots if lot.expiry_date), default=None)


class RowProblem(Exception):
	def __init__(self, code: str, *args) -> None:
		super().__init__(code, *args)
		self.code = code
		self.args_ = args


def parse_row(row: dict, today: date, default_expiry: date | None) -> ParsedRow:
	"""Check and type one row. `default_expiry` is the programme's expiry for a lot given without a date."""
	parsed = ParsedRow()
	text = {key: (value or "").strip() for key, value in row.items()}
	for fieldname, value in text.items():
		if len(value) > MAX_TEXT and fieldname not in LONG_TEXT_FIELDS:
			parsed.problems.append(("too_long", (fieldname, MAX_TEXT)))
	if not text.get("external_member_code"):
		parsed.problems.append(("missing_code", ()))
	if not text.get("member_name"):
		parsed.problems.append(("missing_name", ()))
	readers = {
		"lots": lambda value: parse_lots(value, today, default_expiry),
		"birthday": lambda value: parse_past_date("birthday", value, today),
		"join_date": lambda value: parse_past_date("join_date", value, today),
		"first_purchase_date": lambda value: parse_past_date("first_purchase_date", value, today),
		"last_purchase_date": lambda value: parse_past_date("last_purchase_date", value, today),
		"lifetime_earned": lambda value: parse_count("lifetime_earned", value),
		"lifetime_redeemed": lambda value: parse_count("lifetime_redeemed", value),
		"total_spend": lambda value: parse_amount("total_spend", value),
		"purchase_count": lambda value: parse_count("purchase_count", value),
		"marketing_consent": lambda value: parse_consent("marketing_consent", value),
		"data_processing_consent": lambda value: parse_consent("data_processing_consent", value),
	}
	for fieldname, read in readers.items():
		try:
			value = read(text.get(fieldname, ""))
		except RowProblem as problem:
			parsed.problems.append((problem.code, problem.args_))
			continue
		if value is not None:
			setattr(parsed, fieldname, value)
	if not text.get("lifetime_earned"):
		parsed.lifetime_earned = parsed.points
	elif parsed.lifetime_earned < parsed.points:
		parsed.problems.append(("earned_below_balance", (parsed.lifetime_earned, parsed.points)))
	first, last = parsed.first_purchase_date, parsed.last_purchase_date
	if first and last and first > last:
		parsed.problems.append(("purchase_dates_reversed", (first, last)))
	return parsed


def parse_lots(text: str, today: date, default_expiry: date | None) -> list[ImportLot]:
	"""`500:2027-06-30; 200` -> two lots; a lot without a date expires by the programme's rule."""
	lots = []
	for part in filter(None, (piece.strip() for piece in text.split(LOT_SEPARATOR))):
		points_text, _sep, expiry_text = part.partition(LOT_EXPIRY_SEPARATOR)
		points = parse_whole_number(points_text.strip())
		if points is None:
			raise RowProblem("bad_lot", part)
		if points < 0:
			raise RowProblem("negative_points", part)
		expiry = parse_date(expiry_text.strip()) if expiry_text.strip() else default_expiry
		if expiry_text.strip() and expiry is None:
			raise RowProblem("bad_date", "lots", expiry_text.strip())
		if expiry and expiry < today:
			raise RowProblem("expired_lot", points, expiry)
		if points:
			lots.append(ImportLot(points, expiry))
	return lots


def parse_whole_number(text: str) -> int | None:
	try:
		number = Decimal(text)
	except InvalidOperation:
		return None
	return int(number) if number.is_finite() and number == number.to_integral_value() else None


def parse_count(fieldname: str, text: str) -> int | None:
	if not text:
		return None
	number = parse_whole_number(text)
	if number is None or number < 0:
		raise RowProblem("bad_count", fieldname, text)
	return number


def parse_amount(fieldname: str, text: str) -> Decimal | None:
	if not text:
		return None
	try:
		amount = Decimal(text)
	except InvalidOperation:
		amount = None
	if amount is None or not amount.is_finite() or amount < 0:
		raise RowProblem("bad_amount", fieldname, text)
	return amount


def parse_date(text: str) -> date | None:
	"""YYYY-MM-DD or YYYY/MM/DD."""
	try:
		return date.fromisoformat(text) if len(text) == 10 else None
	except ValueError:
		pass
	try:
		return datetime.strptime(text, SLASHED_DATE).date()
	except ValueError:
		return None


def parse_past_date(fieldname: str, text: str, today: date) -> date | None:
	if not text:
		return None
	value = parse_date(text)
	if value is None:
		raise RowProblem("bad_date", fieldname, text)
	if value > today:
		raise RowProblem("future_date", fieldname, text)
	return value


def parse_consent(fieldname: str, text: str) -> bool:
	"""Consent as the old system recorded it; unknown (blank) is no consent."""
	value = text.lower()
	if value in YES:
		return True
	if not value or value in NO:
		return False
	raise RowProblem("bad_consent", fieldname, text)
