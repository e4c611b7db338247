"""Daily points expiry and expiry reminders, both set-based SQL.

Expiry takes the remaining points of every lot whose expiry date has passed, posts one Expire entry per
member with an allocation row per lot, lowers the member's balance and empties the lots. It works in
chunks of members, one transaction each, with the members' rows locked like any other balance change;
a rerun (or a run after a crash) finds only what is still unexpired and posts nothing twice.
"""

from datetime import date

import frappe
from frappe.integrations.doctype.webhook import get_all_webhooks
from frappe.utils import add_days, getdate, now_datetime

from loyalty_app.loyalty.services.ledger import notify_webhooks
from loyalty_app.loyalty.services.settings import get_settings

EXPIRY_CHUNK = 5000
CHUNK_TABLES = ("loyalty_expiring_lot", "loyalty_expiry_entry")


def expire_points(on_date: date | None = None) -> dict[str, int]:
	today = getdate(on_date)
	totals = {"members": 0, "lots": 0, "points": 0}
	frappe.db.commit()  # nosemgrep: the job's work tables are DDL, which Frappe allows only between transactions
	_drop_work_tables()
	# One pass over the (expiry_date, remaining_points) index finds the few members with lots to expire
	# today, instead of paging through every member's lots.
	frappe.db.sql(
		"""create temporary table loyalty_expiring_member (primary key (member)) as
		select distinct member from `tabPoints Ledger Entry` force index (expiry_date_remaining_points_index)
		where expiry_date < %s and remaining_points > 0""",
		today,
	)
	after = ""
	while members := frappe.db.sql_list(
		"select member from loyalty_expiring_member where member > %s order by member limit %s",
		(after, EXPIRY_CHUNK),
	):
		# Start a new transaction (the previous chunk's work tables dropped), so the chunk's reads come
		# after its member locks and no commit can come between the locks and the writes.
		_drop_work_tables(CHUNK_TABLES)
		_expire_chunk(members, today, totals)
		frappe.db.commit()  # nosemgrep: one transaction per chunk keeps the job restartable
		after = members[-1]
	_drop_work_tables()
	frappe.logger("loyalty_app").info(f"Points expiry {today}: {totals}")
	return totals


def _expire_chunk(members: list[str], today: date, totals: dict[str, int]) -> None:
	frappe.db.sql(
		"select name from `tabLoyalty Member` where name in %(members)s for update", {"members": members}
	)
	params = {"members": members, "today": today, "now": now_datetime(), "user": frappe.session.user}
	frappe.db.sql(
		"""create temporary table loyalty_expiring_lot (primary key (lot)) as
		select lot.name as lot, lot.member, lot.remaining_points as points, lot.company,
			row_number() over (partition by lot.member
				order by lot.expiry_date, lot.posting_datetime, lot.name) as idx
		from `tabPoints Ledger Entry` lot
		where lot.member in %(members)s and lot.remaining_points > 0 and lot.expiry_date < %(today)s""",
		params,
	)
	frappe.db.sql(
		"""create temporary table loyalty_expiry_entry (primary key (member)) as
		select member, sum(points) as points, count(*) as lots, max(company) as company,
			concat('expire:', member, ':', %(today)s, ':',
				left(sha2(group_concat(concat(lot, '=', points) order by lot), 256), 12)) as idempotency_key
		from loyalty_expiring_lot group by member""",
		params,
	)
	frappe.db.sql(
		"""insert into `tabPoints Ledger Entry` (name, creation, modified, owner, modified_by, docstatus,
			member, entry_type, points, posting_datetime, company, cause_type, cause_name, idempotency_key,
			remaining_points, debt_points, settles_debt, qualifying_points, qualifying_amount, remarks)
		select left(sha2(idempotency_key, 256), 20), %(now)s, %(now)s, %(user)s, %(user)s, 0,
			member, 'Expire', -points, %(now)s, company, 'Loyalty Member', member, idempotency_key, 0, 0, 0, 0, 0,
			concat(lots, ' lot(s) expired')
		from loyalty_expiry_entry""",
		params,
	)
	frappe.db.sql(
		"""insert into `tabPoints Ledger Allocation` (name, creation, modified, owner, modified_by, docstatus,
			parent, parenttype, parentfield, idx, lot, points)
		select left(sha2(concat(e.idempotency_key, ':', l.lot), 256), 20), %(now)s, %(now)s, %(user)s,
			%(user)s, 0, left(sha2(e.idempotency_key, 256), 20), 'Points Ledger Entry', 'allocations',
			l.idx, l.lot, l.points
		from loyalty_expiring_lot l join loyalty_expiry_entry e on e.member = l.member""",
		params,
	)
	frappe.db.sql(
		"""update `tabLoyalty Member` m join loyalty_expiry_entry e on e.member = m.name
		set m.points_balance = m.points_balance - e.points""",
	)
	frappe.db.sql(
		"""update `tabPoints Ledger Entry` lot join loyalty_expiring_lot l on l.lot = lot.name
		set lot.remaining_points = 0""",
	)
	summary = frappe.db.sql(
		"select count(*), coalesce(sum(lots), 0), coalesce(sum(points), 0) from loyalty_expiry_entry"
	)[0]
	if frappe.cache.get_value("webhooks", get_all_webhooks).get("Points Ledger Entry"):
		for name in frappe.db.sql_list(
			"select left(sha2(idempotency_key, 256), 20) from loyalty_expiry_entry"
		):
			notify_webhooks(frappe.get_doc("Points Ledger Entry", name))
	totals["members"] += summary[0]
	totals["lots"] += int(summary[1])
	totals["points"] += int(summary[2])


def _drop_work_tables(tables: tuple[str, ...] = ("loyalty_expiring_member", *CHUNK_TABLES)) -> None:
	"""Called only between transactions (sql_ddl commits first): Frappe refuses DDL once one has written."""
	for table in tables:
		frappe.db.sql_ddl(f"drop temporary table if exists {table}")


def refresh_expiry_reminders(on_date: date | None = None) -> int:
	"""Keep each member's points expiring within the reminder horizon and next expiry date current.

	The standard Notification "Points Expiring Soon" (editable by the retailer) mails members whose
	next expiry is near; this job keeps the figures it reads right. Returns members with points expiring soon.
	"""
	today = getdate(on_date)
	horizon = add_days(today, get_settings().expiry_reminder_days)
	frappe.db.sql(
		"""update `tabLoyalty Member` m
		left join (
			select member, min(expiry_date) as next_expiry,
				sum(if(expiry_date <= %(horizon)s, remaining_points, 0)) as expiring
			from `tabPoints Ledger Entry`
			where remaining_points > 0 and expiry_date >= %(today)s
			group by member
		) lots on lots.member = m.name
		set m.points_expiring_soon = coalesce(lots.expiring, 0), m.next_points_expiry = lots.next_expiry
		where lots.member is not null or m.points_expiring_soon <> 0 or m.next_points_expiry is not null""",
		{"today": today, "horizon": horizon},
	)
	return frappe.db.count("Loyalty Member", {"points_expiring_soon": (">", 0)})
