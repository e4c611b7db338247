"""New members by join month and channel, for a company, a home store and a join-date range."""

import frappe
from frappe import _

from loyalty_app.insight.services.report_filters import member_scope, within_period


def execute(filters: dict | None = None):
	filters = filters or {}
	where = within_period(member_scope(filters), filters, "m.join_date")
	rows = frappe.db.sql(
		f"""select date_format(m.join_date, '%%Y-%%m') as join_month, m.channel, count(*) as new_members
		from `tabLoyalty Member` m where {where}
		group by join_month, m.channel order by join_month, m.channel""",
		where.values,
		as_dict=True,
	)
	columns = [
		{"fieldname": "join_month", "label": _("Join Month"), "fieldtype": "Data", "width": 110},
		{"fieldname": "channel", "label": _("Channel"), "fieldtype": "Data", "width": 130},
		{"fieldname": "new_members", "label": _("New Members"), "fieldtype": "Int", "width": 120},
	]
	return columns, rows
