"""Moving members in from another system: a Loyalty Import Batch and its staging rows.

Rows arrive through Frappe's Data Import (one Loyalty Import Row insert each) or, for large files,
`import_file` (bench execute), which checks each line and bulk-inserts the rows. Each row is checked on its
own when it arrives (`checked_values`); `validate_batch` then checks what needs the whole file or the
database, set-based: a code or mobile twice in the file, a mobile that already belongs to a member, an
unknown tier, a lot that has expired since. A row whose external member code is already on a member is
"Already imported": importing the same file (or the same codes) again creates nothing twice.

`import_batch` writes the valid rows set-based, in chunks of rows, one transaction each (restartable: a
rerun picks up the rows still valid): member names from the member naming series, an ERPNext Customer
found by the normalised mobile or created, the members, their consents, and through the ledger service
an Import lot per lot in the file whose voucher is the batch. `rollback_batch` undoes a batch as a whole
while none of its points has been spent and its members have done nothing else.
"""

import csv
import json
from dataclasses import dataclass
from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, now_datetime

from loyalty_app.engine.member_import import parse_row
from loyalty_app.engine.privacy import mask_number
from loyalty_app.loyalty.services import ledger
from loyalty_app.loyalty.services.members import (
	e164,
	new_customer_group_and_territory,
	parse_mobile,
	parse_mobile_number,
)
from loyalty_app.loyalty.services.settings import get_settings

BATCH = "Loyalty Import Batch"
ROW = "Loyalty Import Row"
MEMBER = "Loyalty Member"
ALL_OR_NOTHING = "All or nothing"
IMPORT_CHUNK = 20_000
LOAD_CHUNK = 10_000
MEMBER_SERIES = "LM-"
MEMBER_SERIES_DIGITS = 5
REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ERROR_SUMMARY_ROWS = 200
# Records the app derives for every member by itself: they are not activity that keeps a batch in place.
DERIVED_RECORDS = {ROW, "Member Consent", "Lifecycle Stage Change", "Member Tier Change", ledger.LEDGER}
RAW_FIELDS = (
	"external_member_code",
	"member_name",
	"mobile_no",
	"email",
	"birthday",
	"tier",
	"lots",
	"lifetime_earned",
	"lifetime_redeemed",
	"total_spend",
	"purchase_count",
	"first_purchase_date",
	"last_purchase_date",
	"join_date",
	"marketing_consent",
	"data_processing_consent",
)


REQUIRED_COLUMNS = ("external_member_code", "member_name", "mobile_no")


class ImportRefusedError(frappe.ValidationError):
	pass


@dataclass(frozen=True)
class RowContext:
	"""What checking a row depends on besides the row: the day, the programme's expiry, the mobile region."""

	today: date
	default_expiry: date | None
	region: str | None

	@classmethod
	def now(cls) -> "RowContext":
		today = getdate()
		settings = get_settings()
		return cls(today, settings.expiry_date(today), settings.mobile_region)


def problem_message(code: str, args: tuple) -> str:
	labels = {
		"birthday": _("Birthday"),
		"join_date": _("Join Date"),
		"first_purchase_date": _("First Purchase Date"),
		"last_purchase_date": _("Last Purchase Date"),
		"lifetime_earned": _("Lifetime Earned"),
		"lifetime_redeemed": _("Lifetime Redeemed"),
		"total_spend": _("Total Spend"),
		"purchase_count": _("Purchase Count"),
		"marketing_consent": _("Marketing Consent"),
		"data_processing_consent": _("Data Processing Consent"),
		"lots": _("Points Lots"),
		"external_member_code": _("External Member Code"),
		"member_name": _("Member Name"),
		"mobile_no": _("Mobile No"),
		"email": _("Email"),
		"tier": _("Tier"),
	}
	args = tuple(labels.get(arg, arg) if isinstance(arg, str) else arg for arg in args)
	messages = {
		"missing_code": _("External member code is missing"),
		"missing_name": _("Member name is missing"),
		"bad_mobile": _("{0} is not a valid mobile number"),
		"bad_lot": _("{0} is not a points lot (write points:YYYY-MM-DD, lots separated by ;)"),
		"negative_points": _("Points cannot be negative: {0}"),
		"expired_lot": _("A lot of {0} points expired on {1}, before today"),
		"bad_date": _("{0}: {1} is not a date (write YYYY-MM-DD)"),
		"future_date": _("{0}: {1} is in the future"),
		"bad_count": _("{0}: {1} is not a whole number of zero or more"),
		"bad_amount": _("{0}: {1} is not an amount of zero or more"),
		"bad_consent": _("{0}: {1} is not yes or no"),
		"earned_below_balance": _("Lifetime earned {0} is less than the points balance {1}"),
		"purchase_dates_reversed": _("First purchase {0} is after the last purchase {1}"),
		"too_long": _("{0} is longer than {1} characters"),
	}
	return messages[code].format(*args)


def checked_values(raw: dict, context: RowContext) -> dict:
	"""One row checked on its own: its typed values, its status and its errors (nothing else is read)."""
	parsed = parse_row({field: raw.get(field) for field in RAW_FIELDS}, context.today, context.default_expiry)
	problems = [problem_message(code, args) for code, args in parsed.problems]
	number = parse_mobile_number((raw.get("mobile_no") or "").strip(), context.region)
	if not number:
		problems.insert(0, problem_message("bad_mobile", ((raw.get("mobile_no") or "").strip(),)))
	errors = "\n".join(problems)
	return {
		"status": "Error" if errors else "Valid",
		"row_errors": errors,
		"errors": errors,
		"mobile_e164": number and e164(number),
		"mobile_masked": number and mask_number(number),
		"lots_json": json.dumps(
			[
				{"points": lot.points, "expiry": lot.expiry_date and str(lot.expiry_date)}
				for lot in parsed.lots
			]
		),
		"points": parsed.points,
		"earliest_expiry": parsed.earliest_expiry,
		"birthday_on": parsed.birthday,
		"join_on": parsed.join_date,
		"first_purchase_on": parsed.first_purchase_date,
		"last_purchase_on": parsed.last_purchase_date,
		"earned": parsed.lifetime_earned,
		"redeemed": parsed.lifetime_redeemed,
		"spend": parsed.total_spend,
		"purchases": parsed.purchase_count,
		"marketing": int(parsed.marketing_consent),
		"data_processing": int(parsed.data_processing_consent),
	}


def import_file(
	path: str, title: str | None = None, import_mode: str = "Valid rows", company: str | None = None
) -> dict:
	"""Import a CSV file of members (bench execute): a new batch, its rows loaded, checked and imported.

	The header names the columns by field name (external_member_code, member_name, mobile_no, ...) or by
	their labels in the Data Import template. Returns the batch's counts (bench execute prints them).
	"""
	batch = frappe.get_doc(
		{
			"doctype": BATCH,
			"title": title or path.rsplit("/", 1)[-1],
			"import_mode": import_mode,
			"company": company,
		}
	).insert()
	frappe.db.commit()  # nosemgrep: the batch must exist before its rows are loaded in chunks
	load_file(batch.name, path)
	import_batch(batch.name)
	return {"batch": batch.name, **batch_counts(batch.name)}


def load_file(batch: str, path: str) -> int:
	"""Check every line of a CSV file and bulk-insert it as the batch's rows (named batch-line, so loading
	the same file into the batch again adds nothing). Returns the number of rows read."""
	context = RowContext.now()
	by_label = {_field_label(field): field for field in RAW_FIELDS} | {field: field for field in RAW_FIELDS}
	now, user = now_datetime(), frappe.session.user
	fields = None
	count = 0
	with open(path, newline="", encoding="utf-8-sig") as file:
		reader = csv.DictReader(file)
		columns = {name: by_label.get((name or "").strip()) for name in reader.fieldnames or []}
		if missing := [field for field in REQUIRED_COLUMNS if field not in columns.values()]:
			frappe.throw(
				_("The file has no column {0}").format(", ".join(_field_label(field) for field in missing)),
				ImportRefusedError,
			)
		rows = []
		for row_no, line in enumerate(reader, start=1):
			raw = {columns[name]: value for name, value in line.items() if columns.get(name)}
			values = {field: (raw.get(field) or "").strip() or None for field in RAW_FIELDS}
			values |= checked_values(raw, context)
			record = {
				"name": f"{batch}-{row_no}",
				"creation": now,
				"modified": now,
				"owner": user,
				"modified_by": user,
				"batch": batch,
				"row_no": row_no,
				**values,
			}
			fields = fields or list(record)
			rows.append([record[field] for field in fields])
			count += 1
			if len(rows) >= LOAD_CHUNK:
				_insert_rows(fields, rows)
				frappe.db.commit()  # nosemgrep: a large file is loaded in chunks
				rows = []
		if rows:
			_insert_rows(fields, rows)
	frappe.db.commit()  # nosemgrep: the loaded rows are kept for checking and import
	return count


def _insert_rows(fields: list[str], rows: list[list]) -> None:
	"""One multi-row insert; a row already loaded (same batch and line) is kept as it was."""
	placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
	frappe.db.sql(
		f"""insert ignore into `tabLoyalty Import Row` ({", ".join(f"`{field}`" for field in fields)})
		values {", ".join([placeholders] * len(rows))}""",
		[value for row in rows for value in row],
	)


def _field_label(fieldname: str) -> str:
	return frappe.get_meta(ROW).get_label(fieldname)


def validate_batch(batch: str) -> dict:
	"""Checks that need the whole file or the database, set-based, on every row not yet imported."""
	params = _check_params(batch)
	open_rows = "r.batch = %(batch)s and r.status in ('Valid', 'Error', 'Already imported')"
	statements = [
		f"""update `tabLoyalty Import Row` r
		set r.status = if(coalesce(r.row_errors, '') = '', 'Valid', 'Error'), r.errors = r.row_errors,
			r.member = null, r.tier_link = null
		where {open_rows} and not (r.status = if(coalesce(r.row_errors, '') = '', 'Valid', 'Error')
			and r.errors <=> r.row_errors and r.member is null and r.tier_link is null)""",
		*_taken_by_members("", open_rows),
		_duplicates_in_file("external_member_code", "code_twice", open_rows),
		_duplicates_in_file("mobile_e164", "mobile_twice", open_rows),
		f"""update `tabLoyalty Import Row` r left join `tabMembership Tier` t on t.name = r.tier
		set r.tier_link = t.name, r.status = if(t.name is null, 'Error', r.status),
			r.errors = if(t.name is null, concat_ws('\\n', nullif(r.errors, ''), replace(%(unknown_tier)s, '{{0}}', r.tier)), r.errors)
		where {open_rows} and r.status <> 'Already imported' and coalesce(r.tier, '') <> ''""",
		f"""update `tabLoyalty Import Row` r
		set {ADD_ERROR.format(message="replace(%(expired)s, '{0}', r.earliest_expiry)")}
		where {open_rows} and r.status <> 'Already imported' and r.earliest_expiry < %(today)s""",
	]
	for statement in statements:
		frappe.db.sql(statement, params)
	return refresh_counts(batch)


ADD_ERROR = "r.status = 'Error', r.errors = concat_ws('\\n', nullif(r.errors, ''), {message})"


def _check_params(batch: str) -> dict:
	return {
		"batch": batch,
		"today": getdate(),
		"already": _("Already imported as member {0}"),
		"code_twice": _("External member code {0} is on rows {1}"),
		"mobile_twice": _("Mobile number {0} is on rows {1}"),
		"mobile_taken": _("Mobile number {0} already belongs to member {1}"),
		"unknown_tier": _("Membership Tier {0} does not exist"),
		"expired": _("A lot expired on {0}, before today"),
	}


def _taken_by_members(rows_join: str, rows: str) -> list[str]:
	"""A row whose code is on a member is already imported; one whose mobile is a member's is an error."""
	return [
		f"""update `tabLoyalty Import Row` r {rows_join}
		join `tabLoyalty Member` m on m.external_member_code = r.external_member_code
		set r.status = 'Already imported', r.member = m.name, r.errors = replace(%(already)s, '{{0}}', m.name)
		where {rows}""",
		f"""update `tabLoyalty Import Row` r {rows_join} join `tabLoyalty Member` m on m.mobile_no = r.mobile_e164
		set {ADD_ERROR.format(message="replace(replace(%(mobile_taken)s, '{0}', r.mobile_e164), '{1}', m.name)")}
		where {rows} and r.status <> 'Already imported'""",
	]


def _duplicates_in_file(fieldname: str, message: str, open_rows: str) -> str:
	"""Every row sharing the value with another open row of the batch is an error: no row is preferred."""
	return f"""update `tabLoyalty Import Row` r join (
			select {fieldname} as value, group_concat(row_no order by row_no separator ', ') as row_nos
			from `tabLoyalty Import Row` r where {open_rows} and r.status <> 'Already imported'
				and coalesce({fieldname}, '') <> ''
			group by {fieldname} having count(*) > 1
		) twice on twice.value = r.{fieldname}
		set {ADD_ERROR.format(message=f"replace(replace(%({message})s, '{{0}}', twice.value), '{{1}}', twice.row_nos)")}
		where {open_rows} and r.status <> 'Already imported'"""


def import_batch(batch: str) -> dict:
	"""Import the batch's valid rows set-based, one transaction per chunk of rows."""
	doc = frappe.get_doc(BATCH, batch)
	if doc.status == "Rolled Back":
		frappe.throw(
			_("Import batch {0} was rolled back; start a new batch").format(batch), ImportRefusedError
		)
	counts = validate_batch(batch)
	if doc.import_mode == ALL_OR_NOTHING and counts["error_rows"]:
		frappe.throw(
			_("{0} rows have errors and the batch imports all or nothing: nothing was imported").format(
				counts["error_rows"]
			),
			ImportRefusedError,
		)
	_link_existing_customers(batch)
	frappe.db.commit()  # nosemgrep: the checks' results are kept; the import proceeds in chunks
	customer_group, territory = new_customer_group_and_territory()
	settings = get_settings()
	params = {
		"batch": batch,
		"now": now_datetime(),
		"today": getdate(),
		"user": frappe.session.user,
		"customer_group": customer_group,
		"territory": territory,
		"tier_valid_until": settings.tier_valid_until(getdate()),
		"consent_text_version": doc.consent_text_version,
		"prefix": MEMBER_SERIES,
		"digits": MEMBER_SERIES_DIGITS,
	}
	voucher = ledger.Voucher(BATCH, batch, doc.company)
	while count := _rows_left(batch):
		params["base"] = _reserve_member_numbers(count)
		frappe.db.commit()  # nosemgrep: numbers taken are never handed out twice, even if the chunk fails
		try:
			_import_chunk(voucher, params)
			frappe.db.commit()  # nosemgrep: one transaction per chunk keeps a large import restartable
		finally:
			frappe.db.sql("select release_lock(%s)", import_lock_name())
	_drop_work_tables()
	frappe.db.set_value(BATCH, batch, {"status": "Imported", "imported_on": now_datetime()})
	counts = refresh_counts(batch)
	frappe.db.commit()  # nosemgrep: the batch's figures go with its last chunk
	return counts


def _link_existing_customers(batch: str) -> None:
	"""An ERPNext Customer whose mobile is the row's (normalised) and that has no member becomes its customer."""
	region = get_settings().mobile_region
	customers = frappe.db.sql(
		"""select c.name, c.mobile_no from `tabCustomer` c
		where c.disabled = 0 and coalesce(c.mobile_no, '') <> ''
			and not exists (select 1 from `tabLoyalty Member` m where m.customer = c.name)
		order by c.creation"""
	)
	by_mobile = {}
	for name, mobile in customers:
		if (normalised := parse_mobile(mobile, region)) and normalised not in by_mobile:
			by_mobile[normalised] = name
	for mobile, customer in by_mobile.items():
		frappe.db.sql(
			"""update `tabLoyalty Import Row` set customer = %s, customer_created = 0
			where batch = %s and mobile_e164 = %s and status = 'Valid'""",
			(customer, batch, mobile),
		)


def _rows_left(batch: str) -> int:
	return frappe.db.sql(
		"""select count(*) from (select 1 from `tabLoyalty Import Row`
		where batch = %s and status = 'Valid' limit %s) chunk""",
		(batch, IMPORT_CHUNK),
	)[0][0]


def _import_chunk(voucher: ledger.Voucher, params: dict) -> None:
	"""The next chunk of valid rows, copied to work tables (the chunk's members and their lots) and written
	from there; each staging row is updated once, at the end."""
	_drop_work_tables()
	frappe.db.sql("select name from `tabLoyalty Import Batch` where name = %(batch)s for update", params)
	# One import chunk at a time on the site (MariaDB's named locks are server-wide: the name holds the
	# site's database), so a chunk sees what another batch's chunk has just written.
	frappe.db.sql("select get_lock(%s, 600)", import_lock_name())
	# Work tables first: Frappe allows CREATE only before a transaction writes.
	frappe.db.sql(
		"""create temporary table loyalty_import_chunk (primary key (row_name)) as
		select c.*, concat(%(prefix)s, lpad(c.number, greatest(%(digits)s, char_length(c.number)), '0')) as member,
			c.customer is null as customer_created, cast(null as char(8)) as referral_code
		from (
			select r.name as row_name, r.row_no, r.member_name, r.mobile_e164, r.mobile_masked, r.email,
				r.customer, r.birthday_on, r.join_on, r.tier_link, r.first_purchase_on, r.last_purchase_on,
				r.purchases, r.spend, r.earned, r.redeemed, r.marketing, r.data_processing,
				r.external_member_code, r.lots_json,
				%(base)s + row_number() over (order by r.row_no) as number,
				row_number() over (partition by r.member_name order by r.row_no) as nth_of_name
			from `tabLoyalty Import Row` r force index (batch_status_row_no_index)
			where r.batch = %(batch)s and r.status = 'Valid' order by r.row_no limit %(chunk)s
		) c""",
		{**params, "chunk": IMPORT_CHUNK},
	)
	frappe.db.sql(
		"""create temporary table loyalty_import_lot as
		select c.member, lot.points, lot.expiry_date, concat('import:', c.row_name, ':', lot.idx) as idempotency_key
		from loyalty_import_chunk c, json_table(c.lots_json, '$[*]' columns (
			idx for ordinality, points int path '$.points', expiry_date date path '$.expiry')) lot"""
	)
	_drop_rows_taken_meanwhile(params)
	_give_referral_codes()
	frappe.db.sql(
		"""update loyalty_import_chunk c left join `tabCustomer` existing on existing.name = c.member_name
		set c.customer = if(c.nth_of_name = 1 and existing.name is null, c.member_name,
			concat(left(c.member_name, 120), ' - ', c.member))
		where c.customer_created"""
	)
	frappe.db.sql(
		"""insert into `tabCustomer` (name, creation, modified, owner, modified_by, docstatus, idx,
			customer_name, customer_type, customer_group, territory, mobile_no, email_id)
		select c.customer, %(now)s, %(now)s, %(user)s, %(user)s, 0, 0, c.member_name, 'Individual',
			%(customer_group)s, %(territory)s, c.mobile_e164, nullif(c.email, '')
		from loyalty_import_chunk c where c.customer_created""",
		params,
	)
	frappe.db.sql(
		"""insert into `tabLoyalty Member` (name, creation, modified, owner, modified_by, docstatus, idx,
			member_name, mobile_no, mobile_masked, email, customer, status, birthday, tier, tier_since,
			tier_valid_until, channel, join_date, referral_code, marketing_consent, marketing_consent_at,
			data_processing_consent, data_processing_consent_at, consent_text_version, lifecycle_stage,
			lifecycle_stage_since, first_purchase_date, last_purchase_date, purchase_count, total_spend,
			external_member_code, import_batch)
		select c.member, %(now)s, %(now)s, %(user)s, %(user)s, 0, 0,
			c.member_name, c.mobile_e164, c.mobile_masked, nullif(c.email, ''), c.customer, 'Active',
			c.birthday_on, c.tier_link, if(c.tier_link is null, null, %(today)s),
			if(c.tier_link is null, null, %(tier_valid_until)s), 'Other', coalesce(c.join_on, %(today)s),
			c.referral_code, c.marketing, if(c.marketing, %(now)s, null), c.data_processing,
			if(c.data_processing, %(now)s, null), %(consent_text_version)s, 'New', %(today)s,
			c.first_purchase_on, c.last_purchase_on, c.purchases, c.spend, c.external_member_code, %(batch)s
		from loyalty_import_chunk c""",
		params,
	)
	for fieldname, consent_type in (("marketing", "Marketing"), ("data_processing", "Data processing")):
		frappe.db.sql(
			f"""insert into `tabMember Consent` (name, creation, modified, owner, modified_by, docstatus, idx,
				member, consent_type, granted, recorded_at, channel, text_version)
			select left(sha2(concat(c.member, ':', %(consent_type)s), 256), 10), %(now)s, %(now)s, %(user)s,
				%(user)s, 0, 0, c.member, %(consent_type)s, 1, %(now)s, 'Other', %(consent_text_version)s
			from loyalty_import_chunk c where c.{fieldname} = 1""",
			{**params, "consent_type": consent_type},
		)
	ledger.post_opening_balances(
		voucher,
		"select member, points, expiry_date, idempotency_key from loyalty_import_lot",
		"select member, earned as lifetime_earned, redeemed as lifetime_redeemed from loyalty_import_chunk",
		params,
	)
	frappe.db.sql(
		"""update `tabLoyalty Import Row` r join loyalty_import_chunk c on c.row_name = r.name
		set r.status = 'Imported', r.member = c.member, r.customer = c.customer,
			r.customer_created = c.customer_created, r.referral_code = c.referral_code"""
	)


def _drop_rows_taken_meanwhile(params: dict) -> None:
	"""Codes or mobiles that another import (or an enrolment) took since the batch was checked."""
	for statement in _taken_by_members(
		"join loyalty_import_chunk chunk on chunk.row_name = r.name", "r.status = 'Valid'"
	):
		frappe.db.sql(statement, {**params, **_check_params(params["batch"])})
	if dropped := frappe.db.sql_list(
		"""select c.member from loyalty_import_chunk c join `tabLoyalty Import Row` r on r.name = c.row_name
		where r.status <> 'Valid'"""
	):
		frappe.db.sql("delete from loyalty_import_chunk where member in %(members)s", {"members": dropped})
		frappe.db.sql("delete from loyalty_import_lot where member in %(members)s", {"members": dropped})


def import_lock_name() -> str:
	"""The named lock that lets one import chunk run at a time on this site."""
	return f"{frappe.conf.db_name}:loyalty_member_import"


def _drop_work_tables() -> None:
	"""Between transactions only (sql_ddl commits first)."""
	for table in ("loyalty_import_chunk", "loyalty_import_lot"):
		frappe.db.sql_ddl(f"drop temporary table if exists {table}")


def _reserve_member_numbers(count: int) -> int:
	"""Take `count` numbers from the members' naming series (LM-.#####) at once; returns the one before."""
	current = frappe.db.sql("select current from `tabSeries` where name = %s for update", MEMBER_SERIES)
	if not current:
		frappe.db.sql("insert into `tabSeries` (name, current) values (%s, 0)", MEMBER_SERIES)
	frappe.db.sql("update `tabSeries` set current = current + %s where name = %s", (count, MEMBER_SERIES))
	return int(current[0][0]) if current else 0


def _give_referral_codes() -> None:
	"""A random referral code per member, drawn again for the few that meet a code already in use."""
	letter = f"substr('{REFERRAL_ALPHABET}', 1 + floor(rand() * {len(REFERRAL_ALPHABET)}), 1)"
	code = f"concat({', '.join([letter] * 8)})"
	frappe.db.sql(f"update loyalty_import_chunk set referral_code = {code}")
	while clashes := frappe.db.sql_list(
		"""select c.row_name from loyalty_import_chunk c join `tabLoyalty Member` m on m.referral_code = c.referral_code"""
	) + frappe.db.sql_list(
		"select min(row_name) from loyalty_import_chunk group by referral_code having count(*) > 1"
	):
		frappe.db.sql(
			f"update loyalty_import_chunk set referral_code = {code} where row_name in %(names)s",
			{"names": clashes},
		)


IMPORTED_ROWS = "`tabLoyalty Import Row` r"
IMPORTED = "r.batch = %(batch)s and r.status = 'Imported'"


def rollback_batch(batch: str) -> dict:
	"""Undo an imported batch as a whole: its lots reversed through the ledger, its members closed (their
	mobile and external code freed for a corrected import), the customers it created disabled.

	Refused, with nothing changed, once any imported point was spent or expired or any of its members has
	done anything else (earned, redeemed, joined a group, ...)."""
	doc = frappe.get_doc(BATCH, batch)
	if doc.status != "Imported":
		frappe.throw(_("Only an imported batch can be rolled back"), ImportRefusedError)
	params = {
		"batch": batch,
		"now": now_datetime(),
		"reason": _("Import batch {0} rolled back").format(batch),
	}
	frappe.db.sql(
		f"select m.name from `tabLoyalty Member` m join {IMPORTED_ROWS} on r.member = m.name and {IMPORTED} for update",
		params,
	)
	_refuse_rollback_after_activity(batch, params)
	ledger.reverse_opening_balances(
		ledger.Voucher(BATCH, batch, doc.company),
		f"select r.member, r.earned as lifetime_earned, r.redeemed as lifetime_redeemed from {IMPORTED_ROWS} where {IMPORTED}",
		params,
	)
	frappe.db.sql(
		f"""update `tabLoyalty Member` m join {IMPORTED_ROWS} on r.member = m.name and {IMPORTED}
		set m.status = 'Closed', m.status_reason = %(reason)s, m.customer = null,
			m.mobile_no = concat('rolled-back:', m.name), m.mobile_masked = null, m.external_member_code = null""",
		params,
	)
	frappe.db.sql(
		f"""update `tabCustomer` c join {IMPORTED_ROWS} on r.customer = c.name and {IMPORTED}
		set c.disabled = 1 where r.customer_created = 1""",
		params,
	)
	frappe.db.sql(
		"""update `tabLoyalty Import Row` set status = 'Rolled Back' where batch = %(batch)s and status = 'Imported'""",
		params,
	)
	frappe.db.set_value(BATCH, batch, {"status": "Rolled Back", "rolled_back_on": params["now"]})
	return refresh_counts(batch)


def _refuse_rollback_after_activity(batch: str, params: dict) -> None:
	"""Locking reads, so what another connection committed while we waited for the members is seen."""
	spent = frappe.db.sql_list(
		f"""select lot.member from `tabPoints Ledger Entry` lot join {IMPORTED_ROWS} on r.member = lot.member and {IMPORTED}
		where lot.voucher_type = %(voucher_type)s and lot.voucher_no = %(batch)s and lot.entry_type = 'Import'
			and lot.remaining_points <> lot.points limit 5 for update""",
		{**params, "voucher_type": BATCH},
	)
	if spent:
		frappe.throw(
			_(
				"Points imported by batch {0} were already spent or expired (members {1}): it cannot be rolled back"
			).format(batch, ", ".join(spent)),
			ImportRefusedError,
		)
	other = frappe.db.sql_list(
		f"""select e.member from `tabPoints Ledger Entry` e join {IMPORTED_ROWS} on r.member = e.member and {IMPORTED}
		where not (e.voucher_type = %(voucher_type)s and e.voucher_no = %(batch)s) limit 5 lock in share mode""",
		{**params, "voucher_type": BATCH},
	)
	for doctype, fieldname in _links_to_members():
		if other:
			break
		other = frappe.db.sql_list(
			f"""select t.`{fieldname}` from `tab{doctype}` t join {IMPORTED_ROWS} on r.member = t.`{fieldname}` and {IMPORTED}
			limit 5 lock in share mode""",
			params,
		)
	if other:
		frappe.throw(
			_(
				"Members imported by batch {0} have other activity since (members {1}): it cannot be rolled back"
			).format(batch, ", ".join(other)),
			ImportRefusedError,
		)


def _links_to_members() -> list[tuple[str, str]]:
	"""Every link field to Loyalty Member in a table of records (standard and custom fields)."""
	links = frappe.db.sql(
		"""select f.parent, f.fieldname from `tabDocField` f join `tabDocType` d on d.name = f.parent
		where f.fieldtype = 'Link' and f.options = %(member)s and d.issingle = 0 and d.is_virtual = 0
		union
		select f.dt, f.fieldname from `tabCustom Field` f join `tabDocType` d on d.name = f.dt
		where f.fieldtype = 'Link' and f.options = %(member)s and d.issingle = 0 and d.is_virtual = 0""",
		{"member": MEMBER},
	)
	return [(doctype, fieldname) for doctype, fieldname in links if doctype not in DERIVED_RECORDS]


def refresh_counts(batch: str) -> dict:
	by_status = dict(
		frappe.db.sql(
			"select status, count(*) from `tabLoyalty Import Row` where batch = %s group by status", batch
		)
	)
	figures = frappe.db.sql(
		"""select coalesce(sum(customer_created = 0 and customer is not null), 0),
			coalesce(sum(customer_created = 1), 0), coalesce(sum(points), 0)
		from `tabLoyalty Import Row` where batch = %s and status = 'Imported'""",
		batch,
	)[0]
	errors = frappe.db.sql(
		"""select row_no, errors from `tabLoyalty Import Row` where batch = %s and status = 'Error'
		order by row_no limit %s""",
		(batch, ERROR_SUMMARY_ROWS),
	)
	counts = {
		"total_rows": sum(by_status.values()),
		"valid_rows": by_status.get("Valid", 0),
		"error_rows": by_status.get("Error", 0),
		"skipped_rows": by_status.get("Already imported", 0),
		"imported_rows": by_status.get("Imported", 0),
		"rolled_back_rows": by_status.get("Rolled Back", 0),
		"customers_linked": int(figures[0]),
		"customers_created": int(figures[1]),
		"points_imported": int(figures[2]),
		"error_summary": "\n".join(
			_("Row {0}: {1}").format(row_no, (message or "").replace("\n", "; "))
			for row_no, message in errors
		),
	}
	frappe.db.set_value(BATCH, batch, dict(counts))
	return counts


def batch_counts(batch: str) -> dict:
	return frappe.db.get_value(
		BATCH,
		batch,
		[
			"status",
			"total_rows",
			"valid_rows",
			"error_rows",
			"skipped_rows",
			"imported_rows",
			"points_imported",
		],
		as_dict=True,
	)
