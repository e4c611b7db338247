"""Lifetime value by acquisition channel or tier, with acquisition cost per channel, for members who
joined in the period. Values are the member figures the nightly value job keeps."""

import frappe
from frappe import _

from loyalty_app.outreach.services.value import acquisition_costs

GROUP_COLUMNS = {"Channel": "channel", "Tier": "tier"}


def execute(filters=None):
	filters = frappe._dict(filters or {})
	group_by = filters.group_by if filters.group_by in GROUP_COLUMNS else "Channel"
	column = GROUP_COLUMNS[group_by]
	rows = frappe.db.sql(
		f"""select coalesce(m.{column}, '') as grouping, count(*) as members,
			sum(m.customer_lifetime_value) as total_value, avg(m.customer_lifetime_value) as average_value,
			avg(m.lifetime_revenue) as average_revenue
		from `tabLoyalty Member` m
		where (%(from_date)s is null or m.join_date >= %(from_date)s) and (%(to_date)s is null or m.join_date <= %(to_date)s)
		group by m.{column} order by total_value desc""",
		{"from_date": filters.from_date or None, "to_date": filters.to_date or None},
		as_dict=True,
	)
	costs = acquisition_costs(filters.from_date, filters.to_date) if group_by == "Channel" else {}
	for row in rows:
		cost = costs.get(row.grouping)
		row.acquisition_cost = cost["cost"] if cost else None
		row.cost_per_member = cost["cost_per_member"] if cost else None
		row.value_to_cost = (
			round(row.average_value / row.cost_per_member, 2) if cost and cost["cost_per_member"] else None
		)
	return columns(group_by), rows


def columns(group_by: str) -> list[dict]:
	money = {"fieldtype": "Currency", "width": 150}
	result = [
		{"fieldname": "grouping", "label": _(group_by), "fieldtype": "Data", "width": 160},
		{"fieldname": "members", "label": _("Members"), "fieldtype": "Int", "width": 100},
		{"fieldname": "total_value", "label": _("Total Lifetime Value"), **money},
		{"fieldname": "average_value", "label": _("Average Lifetime Value"), **money},
		{"fieldname": "average_revenue", "label": _("Average Lifetime Revenue"), **money},
	]
	if group_by == "Channel":
		result += [
			{"fieldname": "acquisition_cost", "label": _("Acquisition Cost"), **money},
			{"fieldname": "cost_per_member", "label": _("Acquisition Cost per Member"), **money},
			{
				"fieldname": "value_to_cost",
				"label": _("Lifetime Value / Acquisition Cost"),
				"fieldtype": "Float",
				"width": 120,
			},
		]
	return result
