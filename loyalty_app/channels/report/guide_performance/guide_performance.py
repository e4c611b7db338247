"""Per shopping guide, for the members of a company or home store and a period: their members, members enrolled with them
in the period, members who bought (active), the share of those who bought more than once (repurchase),
the net sales credited to the guide in their Sales Team and the points their members earned."""

import frappe
from frappe import _

from loyalty_app.insight.services.report_filters import member_scope, within_period


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	members = member_scope(filters)
	enrolled = within_period(member_scope(filters), filters, "m.join_date")
	sales = within_period(member_scope(filters), filters, "i.posting_date")
	points = within_period(member_scope(filters), filters, "e.posting_datetime")
	rows = frappe.db.sql(
		f"""select g.guide, g.members, g.enrolled, coalesce(s.active, 0) as active,
			coalesce(s.repeat_buyers, 0) as repeat_buyers, coalesce(s.sales, 0) as sales,
			coalesce(p.points_issued, 0) as points_issued
		from (
			select m.shopping_guide as guide, count(*) as members,
				sum(case when {enrolled} then 1 else 0 end) as enrolled
			from `tabLoyalty Member` m where m.shopping_guide is not null and {members}
			group by m.shopping_guide
		) g
		left join (
			select guide, sum(case when purchases > 0 then 1 else 0 end) as active,
				sum(case when purchases > 1 then 1 else 0 end) as repeat_buyers, sum(net) as sales
			from (
				select st.sales_person as guide, i.loyalty_member, sum(1 - i.is_return) as purchases,
					sum(i.base_net_total * st.allocated_percentage / 100) as net
				from ({_invoices()}) i
				join `tabSales Team` st on st.parent = i.name and st.parenttype = i.doctype
				join `tabLoyalty Member` m on m.name = i.loyalty_member
				where {sales}
				group by st.sales_person, i.loyalty_member
			) per_member group by guide
		) s on s.guide = g.guide
		left join (
			select m.shopping_guide as guide, sum(e.points) as points_issued
			from `tabPoints Ledger Entry` e join `tabLoyalty Member` m on m.name = e.member
			where e.entry_type in ('Earn', 'Bonus') and {points}
			group by m.shopping_guide
		) p on p.guide = g.guide
		order by sales desc, g.guide""",
		{**members.values, **enrolled.values, **sales.values, **points.values},
		as_dict=True,
	)
	for row in rows:
		row.repurchase_rate = round(100 * row.repeat_buyers / row.active, 1) if row.active else 0
	return _columns(), rows


def _invoices() -> str:
	"""Submitted Sales and POS Invoices of members; consolidated Sales Invoices are left out (their POS
	Invoices count) so nothing counts twice."""
	columns = "name, doctype, posting_date, loyalty_member, base_net_total, is_return"
	return f"""select {columns.replace("doctype", "'Sales Invoice' as doctype")} from `tabSales Invoice`
		where docstatus = 1 and is_consolidated = 0 and loyalty_member is not null
		union all select {columns.replace("doctype", "'POS Invoice' as doctype")} from `tabPOS Invoice`
		where docstatus = 1 and loyalty_member is not null"""


def _columns() -> list[dict]:
	return [
		{
			"fieldname": "guide",
			"label": _("Shopping Guide"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 160,
		},
		{"fieldname": "members", "label": _("Members"), "fieldtype": "Int", "width": 100},
		{"fieldname": "enrolled", "label": _("Enrolled in Period"), "fieldtype": "Int", "width": 130},
		{"fieldname": "active", "label": _("Active Members"), "fieldtype": "Int", "width": 120},
		{
			"fieldname": "repurchase_rate",
			"label": _("Repurchase Rate %"),
			"fieldtype": "Percent",
			"width": 130,
		},
		{"fieldname": "sales", "label": _("Sales of Their Members"), "fieldtype": "Currency", "width": 160},
		{"fieldname": "points_issued", "label": _("Points Issued"), "fieldtype": "Int", "width": 120},
	]
