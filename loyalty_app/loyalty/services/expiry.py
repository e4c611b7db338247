"""Daily points expiry and expiry reminders, both set-based SQL.

Expiry finds the members with lots whose expiry date has passed and has the ledger service expire them
(`ledger.expire_lots`) in chunks of members, one transaction each; a rerun (or a run after a crash)
finds only what is still unexpired and posts nothing twice.
"""

from datetime import date

import frappe
from frappe.utils import add_days, getdate

from loyalty_app.loyalty.services.ledger import EXPIRY_WORK_TABLES, expire_lots
from loyalty_app.loyalty.services.settings import get_settings

EXPIRY_CHUNK = 5000


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
		_drop_work_tables(EXPIRY_WORK_TABLES)
		for total, value in zip(("members", "lots", "points"), expire_lots(members, today), strict=True):
			totals[total] += value
		frappe.db.commit()  # nosemgrep: one transaction per chunk keeps the job restartable
		after = members[-1]
	_drop_work_tables()
	frappe.logger("loyalty_app").info(f"Points expiry {today}: {totals}")
	return totals


def _drop_work_tables(tables: tuple[str, ...] = ("loyalty_expiring_member", *EXPIRY_WORK_TABLES)) -> None:
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
