"""New members by join month and channel, optionally for one home store and a date range."""

import frappe
from frappe import _


def member_filters(filters: dict) -> tuple[str, dict]:
	"""SQL conditions on `m` (Loyalty Member) for the reports' store and join-date filters."""
	conditions, values = ["1 = 1"], {}
	if filters.get("store"):
		conditions.append("m.home_store = %(store)s")
		values["store"] = filters["store"]
	if filters.get("from_date"):
		conditions.append("m.join_date >= %(from_date)s")
		values["from_date"] = filters["from_date"]
	if filters.get("to_date"):
		conditions.append("m.join_date <= %(to_date)s")
		values["to_date"] = filters["to_date"]
	return " and ".join(conditions), values


def execute(filters: dict | None = None):
	where, values = member_filters(frappe._dict(filters or {}))
	rows = frappe.db.sql(
		f"""select date_format(m.join_date, '%%Y-%%m') as join_month, m.channel, count(*) as new_members
		from `tabLoyalty Member` m where {where}
		group by join_month, m.channel order by join_month, m.channel""",
		values,
		as_dict=True,
	)
	columns = [
		{"fieldname": "join_month", "label": _("Join Month"), "fieldtype": "Data", "width": 110},
		{"fieldname": "channel", "label": _("Channel"), "fieldtype": "Data", "width": 130},
		{"fieldname": "new_members", "label": _("New Members"), "fieldtype": "Int", "width": 120},
	]
	return columns, rows
