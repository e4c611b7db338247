"""Adopting the programme on an ERPNext that already has customers: bulk enrolment and history backfill.

A *Member Enrolment Batch* picks enabled Customers that are no members yet (by customer group and
territory, with their sub-groups, by the store they bought in, by a purchase in the last N months) and a
background job enrols them chunk by chunk: one keyset-paginated query per chunk, the mobile numbers
normalised (phonenumbers, in Python: SQL cannot), one multi-row INSERT, one transaction per chunk. A
rerun or a second batch finds only customers that are still no members, so nothing is enrolled twice.

Bulk-enrolled members have unknown consent (no marketing until they give it) and get no welcome pack,
sign-up bonus or welcome message: they did not sign up, the retailer brought them in. A customer without
a valid mobile number, or whose number another member or an earlier customer of the batch already has,
is skipped and counted (two customers sharing a number need a person to choose).
"""

from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, now_datetime, today

from loyalty_app.engine.privacy import mask_number
from loyalty_app.insight.services.lifecycle import refresh_stages
from loyalty_app.insight.services.purchases import member_purchases_sql
from loyalty_app.insight.services.rfm import refresh_rfm
from loyalty_app.loyalty.services.members import MEMBER, e164, new_referral_codes, parse_mobile_number
from loyalty_app.loyalty.services.settings import get_settings
from loyalty_app.loyalty.services.tiers import all_tiers
from loyalty_app.outreach.services.value import refresh_member_value
from loyalty_app.utils import STANDARD_COLUMNS

BATCH = "Member Enrolment Batch"
ENROLMENT_CHUNK = 5_000
MEMBER_SERIES = "LM-"


def enqueue_enrolment(batch: str) -> None:
	frappe.enqueue(
		"loyalty_app.loyalty.services.adoption.enrol_customers",
		queue="long",
		timeout=6 * 3600,
		job_id=f"loyalty-enrolment:{frappe.local.site}:{batch}",
		deduplicate=True,
		enqueue_after_commit=True,
		now=bool(frappe.flags.in_test),
		batch=batch,
	)


def enrol_customers(batch: str) -> dict:
	"""Background job: enrol the batch's customers; returns the batch's counts."""
	doc = frappe.get_doc(BATCH, batch)
	condition, values = customer_condition(doc)
	counts = {"enrolled": 0, "without_mobile": 0, "mobile_taken": 0}
	doc.db_set({"status": "Running", "started_at": now_datetime(), **counts})
	frappe.db.commit()  # nosemgrep: the status must be visible while the job runs
	total = frappe.db.sql(f"select count(*) from `tabCustomer` c where {condition}", values)[0][0]
	after, seen = "", 0
	try:
		while rows := frappe.db.sql(
			f"""select c.name, c.customer_name, c.mobile_no from `tabCustomer` c
			where c.name > %(after)s and {condition} order by c.name limit %(chunk)s""",
			{**values, "after": after, "chunk": ENROLMENT_CHUNK},
			as_dict=True,
		):
			for key, count in _enrol_chunk(rows, doc).items():
				counts[key] += count
			after, seen = rows[-1].name, seen + len(rows)
			doc.db_set(dict(counts))
			frappe.db.commit()  # nosemgrep: one transaction per chunk keeps the job restartable
			frappe.publish_progress(
				min(seen * 100 / (total or 1), 100),
				title=_("Enrolling customers"),
				doctype=BATCH,
				docname=batch,
			)
		doc.db_set({"status": "Completed", "finished_at": now_datetime()})
	except Exception:
		frappe.db.rollback()
		doc.db_set({"status": "Failed", "finished_at": now_datetime()})
		frappe.db.commit()  # nosemgrep
		raise
	return counts


def customer_condition(batch) -> tuple[str, dict]:
	"""SQL over `tabCustomer` c: enabled, no member yet, and every filter the batch sets."""
	conditions = [
		"c.disabled = 0",
		f"not exists (select 1 from `tab{MEMBER}` m where m.customer = c.name)",
	]
	values = {}
	for field, doctype in (("customer_group", "Customer Group"), ("territory", "Territory")):
		if batch.get(field):
			lft, rgt = frappe.db.get_value(doctype, batch.get(field), ["lft", "rgt"])
			conditions.append(
				f"c.{field} in (select name from `tab{doctype}` where lft >= %({field}_lft)s and rgt <= %({field}_rgt)s)"
			)
			values |= {f"{field}_lft": lft, f"{field}_rgt": rgt}
	purchase_filters = []
	if batch.get("store"):
		purchase_filters.append("coalesce(p.warehouse, i.set_warehouse) = %(store)s")
		values["store"] = batch.store
	if batch.get("bought_within_months"):
		purchase_filters.append("i.posting_date >= curdate() - interval %(months)s month")
		values["months"] = batch.bought_within_months
	if purchase_filters:
		where = " and ".join(purchase_filters)
		conditions.append(
			f"""(exists (select 1 from `tabPOS Invoice` i left join `tabPOS Profile` p on p.name = i.pos_profile
				where i.customer = c.name and i.docstatus = 1 and {where})
			or exists (select 1 from `tabSales Invoice` i left join `tabPOS Profile` p on p.name = i.pos_profile
				where i.customer = c.name and i.docstatus = 1 and i.is_consolidated = 0 and {where}))"""
		)
	return " and ".join(conditions), values


MEMBER_COLUMNS = (
	*STANDARD_COLUMNS,
	"member_name",
	"mobile_no",
	"mobile_masked",
	"customer",
	"status",
	"channel",
	"home_store",
	"join_date",
	"referral_code",
	"marketing_consent",
	"data_processing_consent",
	"lifecycle_stage",
	"enrolment_batch",
)


def _enrol_chunk(customers: list, batch) -> dict:
	region = get_settings().mobile_region
	numbers = {
		row.name: parse_mobile_number(row.mobile_no, region) if row.mobile_no else None for row in customers
	}
	mobiles = {customer: e164(number) for customer, number in numbers.items() if number}
	taken = set(
		frappe.db.sql_list(
			f"select mobile_no from `tab{MEMBER}` where mobile_no in %s", (tuple(mobiles.values()),)
		)
		if mobiles
		else ()
	)
	chosen = []
	for row in customers:
		mobile = mobiles.get(row.name)
		if mobile and mobile not in taken:
			taken.add(mobile)
			chosen.append((row, mobile))
	if chosen:
		names = _reserve_member_names(len(chosen))
		codes = new_referral_codes(len(chosen))
		now, user, joined = now_datetime(), frappe.session.user, today()
		values = [
			value
			for name, code, (row, mobile) in zip(names, codes, chosen, strict=True)
			for value in (
				name,
				now,
				now,
				user,
				user,
				0,
				row.customer_name,
				mobile,
				mask_number(numbers[row.name]),
				row.name,
				"Active",
				"Other",
				batch.store,
				joined,
				code,
				0,
				0,
				"New",
				batch.name,
			)
		]
		# one multi-row INSERT; IGNORE leaves out a member a clerk enrolled with the same number meanwhile
		row_sql = f"({', '.join(['%s'] * len(MEMBER_COLUMNS))})"
		frappe.db.sql(
			f"""insert ignore into `tab{MEMBER}` ({", ".join(MEMBER_COLUMNS)})
			values {", ".join([row_sql] * len(chosen))}""",
			values,
		)
	enrolled = frappe.db.sql("select row_count()")[0][0] if chosen else 0
	without_mobile = len(customers) - len(mobiles)
	return {
		"enrolled": enrolled,
		"without_mobile": without_mobile,
		"mobile_taken": len(customers) - enrolled - without_mobile,
	}


def _reserve_member_names(count: int) -> list[str]:
	"""The next `count` names of the members' naming series (LM-.#####), taken under the series row lock."""
	if not count:
		return []
	frappe.db.sql(
		"insert into `tabSeries` (name, current) values (%s, 0) on duplicate key update name = name",
		MEMBER_SERIES,
	)
	current = frappe.db.sql("select current from `tabSeries` where name = %s for update", MEMBER_SERIES)[0][0]
	frappe.db.sql("update `tabSeries` set current = current + %s where name = %s", (count, MEMBER_SERIES))
	return [f"{MEMBER_SERIES}{number:05d}" for number in range(current + 1, current + count + 1)]


BACKFILL_CHUNK = 5_000


def backfill_history(since: date | str, today_: date | None = None) -> dict:
	"""Let the members' purchases since `since` count as if the app had been installed on that date.

	Without creating points: the members' submitted Sales Invoices (not consolidated) and POS Invoices
	from that date on get their *Loyalty Member* set (the mark the invoice events set on a live sale), in
	chunks of members; then each member's purchase count, spend, first and last purchase are recomputed
	from their purchases, the tier their qualifying value in the window reaches is given (upgrades only,
	recorded as Member Tier Changes, no gift points), and the nightly lifecycle, RFM and lifetime value
	jobs run. Rerunning changes nothing more: marked invoices stay marked, figures are recomputed.
	"""
	since, on_date = getdate(since), getdate(today_)
	if since > on_date:
		frappe.throw(_("The history backfill starts on a past date"))
	marked = 0
	for after, last in _member_chunks():
		chunk = {"after": after, "last": last, "since": since}
		for doctype, only in (("Sales Invoice", "and i.is_consolidated = 0"), ("POS Invoice", "")):
			frappe.db.sql(
				f"""update `tab{doctype}` i join `tab{MEMBER}` m on m.customer = i.customer
				set i.loyalty_member = m.name
				where m.name > %(after)s and m.name <= %(last)s and i.docstatus = 1
					and i.posting_date >= %(since)s and coalesce(i.loyalty_member, '') = '' {only}""",
				chunk,
			)
			marked += frappe.db.sql("select row_count()")[0][0]
		frappe.db.commit()  # nosemgrep: one transaction per chunk keeps the backfill restartable
	# every member's purchases in one pass over the invoices, then written chunk by chunk
	frappe.db.sql("drop temporary table if exists loyalty_purchases")
	frappe.db.sql(
		f"create temporary table loyalty_purchases (primary key (member)) as {member_purchases_sql()}",
		{"since": since, "until": on_date},
	)
	for after, last in _member_chunks():
		frappe.db.sql(
			f"""update `tab{MEMBER}` m join loyalty_purchases p on p.member = m.name
			set m.purchase_count = p.purchases, m.total_spend = p.spend,
				m.first_purchase_date = p.first_purchase, m.last_purchase_date = p.last_purchase
			where m.name > %(after)s and m.name <= %(last)s""",
			{"after": after, "last": last},
		)
		frappe.db.commit()  # nosemgrep
	frappe.db.sql_ddl("drop temporary table if exists loyalty_purchases")
	upgraded = _tiers_from_history(on_date)
	frappe.db.commit()  # nosemgrep
	return {
		"invoices_marked": marked,
		"tiers_upgraded": upgraded,
		"stages_changed": sum(refresh_stages(on_date).values()),
		"rfm_scored": refresh_rfm(on_date),
		"values_refreshed": refresh_member_value(on_date),
	}


def _member_chunks():
	"""(after, last) name bounds of successive chunks of members, keyset by name."""
	after = ""
	while last := frappe.db.sql(
		f"select max(name) from (select name from `tab{MEMBER}` where name > %s order by name limit %s) chunk",
		(after, BACKFILL_CHUNK),
	)[0][0]:
		yield after, last
		after = last


def _tiers_from_history(on_date: date) -> int:
	"""Members whose qualifying value in the window reaches a higher tier move up to it, set-based.

	The value is the window's spend (tier basis "Amount spent"), or the points it earns at the programme's
	base rate (tier basis "Points earned": earning rules and tier multipliers are not replayed). Each move
	is a Member Tier Change row inserted with the members' update; no upgrade gift, welcome pack or
	message goes out: the backfill creates no points.
	"""
	settings = get_settings()
	if not all_tiers():
		return 0
	value = "round(p.spend, 2)" if settings.qualifies_by_amount else "floor(p.spend * %(rate)s)"
	params = {
		"since": settings.window_start(on_date),
		"until": on_date,
		"rate": settings.points_per_currency_unit,
		"on_date": on_date,
		"valid_until": settings.tier_valid_until(on_date),
		"now": now_datetime(),
		"user": frappe.session.user,
	}
	frappe.db.sql("drop temporary table if exists loyalty_tier_up")
	frappe.db.sql(
		f"""create temporary table loyalty_tier_up (primary key (member)) as
		select v.member, m.tier as from_tier, target.name as to_tier, v.value
		from (select p.member, {value} as value from ({member_purchases_sql()}) p) v
		join `tab{MEMBER}` m on m.name = v.member and m.status = 'Active'
		join `tabMembership Tier` target on target.name = (
			select t.name from `tabMembership Tier` t where t.entry_threshold <= v.value
			order by t.rank desc limit 1)
		left join `tabMembership Tier` held on held.name = m.tier
		where target.rank > coalesce(held.rank, -1)""",
		params,
	)
	frappe.db.sql(
		f"""update `tab{MEMBER}` m join loyalty_tier_up u on u.member = m.name
		set m.tier = u.to_tier, m.tier_since = %(on_date)s, m.tier_valid_until = %(valid_until)s,
			m.tier_in_grace = 0""",
		params,
	)
	frappe.db.sql(
		"""insert into `tabMember Tier Change` (name, creation, modified, owner, modified_by, docstatus,
			member, change_type, from_tier, to_tier, changed_on, qualifying_value)
		select left(sha2(concat('backfill-tier:', member, ':', %(now)s), 256), 20), %(now)s, %(now)s,
			%(user)s, %(user)s, 0, member, 'Upgrade', from_tier, to_tier, %(on_date)s, value
		from loyalty_tier_up""",
		params,
	)
	upgraded = frappe.db.sql("select count(*) from loyalty_tier_up")[0][0]
	frappe.db.commit()  # nosemgrep
	frappe.db.sql_ddl("drop temporary table if exists loyalty_tier_up")
	return upgraded
