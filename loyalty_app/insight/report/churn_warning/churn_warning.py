"""Members who became at risk (or lapsed), with the reason, for the retention team's call list."""

import frappe
from frappe import _
from frappe.utils import today

from loyalty_app.insight.services.report_filters import member_scope, within_period


def execute(filters: dict | None = None) -> tuple[list, list]:
	"""Members who moved into at risk (or lapsed) between the dates (default: today), of the company and store."""
	filters = {"from_date": today(), "to_date": today(), **(filters or {})}
	where = within_period(member_scope(filters), filters, "c.changed_on")
	where.add(
		"c.to_stage in %(stages)s",
		stages=("At risk", "Lapsed") if filters.get("include_lapsed") else ("At risk",),
	)
	rows = frappe.db.sql(
		f"""select c.member, m.member_name, m.mobile_no, m.tier, c.from_stage, c.to_stage, c.reason,
			c.changed_on, m.last_purchase_date, m.purchase_count, m.total_spend, m.points_balance,
			m.last_win_back_on
		from `tabLifecycle Stage Change` c join `tabLoyalty Member` m on m.name = c.member
		where {where}
		order by c.changed_on desc, m.total_spend desc""",
		where.values,
		as_dict=True,
	)
	return columns(), rows


def columns() -> list[dict]:
	return [
		{
			"fieldname": "member",
			"label": _("Member"),
			"fieldtype": "Link",
			"options": "Loyalty Member",
			"width": 110,
		},
		{"fieldname": "member_name", "label": _("Member Name"), "fieldtype": "Data", "width": 150},
		{"fieldname": "mobile_no", "label": _("Mobile No"), "fieldtype": "Data", "width": 130},
		{
			"fieldname": "tier",
			"label": _("Tier"),
			"fieldtype": "Link",
			"options": "Membership Tier",
			"width": 100,
		},
		{"fieldname": "from_stage", "label": _("From Stage"), "fieldtype": "Data", "width": 110},
		{"fieldname": "to_stage", "label": _("To Stage"), "fieldtype": "Data", "width": 90},
		{"fieldname": "reason", "label": _("Reason"), "fieldtype": "Data", "width": 280},
		{"fieldname": "changed_on", "label": _("Changed On"), "fieldtype": "Date", "width": 100},
		{
			"fieldname": "last_purchase_date",
			"label": _("Last Purchase Date"),
			"fieldtype": "Date",
			"width": 110,
		},
		{"fieldname": "purchase_count", "label": _("Purchase Count"), "fieldtype": "Int", "width": 90},
		{"fieldname": "total_spend", "label": _("Total Spend"), "fieldtype": "Currency", "width": 110},
		{"fieldname": "points_balance", "label": _("Points Balance"), "fieldtype": "Int", "width": 90},
		{
			"fieldname": "last_win_back_on",
			"label": _("Last Win-back Offer"),
			"fieldtype": "Date",
			"width": 110,
		},
	]
