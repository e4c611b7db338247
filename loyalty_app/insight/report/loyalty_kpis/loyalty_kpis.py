"""The programme's key figures on one sheet: one row per figure, grouped by section.

Filters: company and store narrow members to those of the company / home store and sales, redemptions
to those made in the company / store; the date range limits events (purchases, joins, tier changes,
redemptions, coupons issued) to the period. Distributions (tier, stage, segment) are of today's members
who joined by the end of the period.
"""

import frappe
from frappe import _
from frappe.utils import flt

from loyalty_app.insight.services.report_filters import (
	Conditions,
	member_scope,
	place_scope,
	within_period,
)


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	rows = []

	def add(section: str, figure: str, value, share=None) -> None:
		rows.append({"section": section, "figure": figure, "value": value, "share": share})

	members = member_scope(filters)
	if filters.get("to_date"):
		members.add("m.join_date <= %(to_date)s", to_date=filters.to_date)
	member_count = frappe.db.sql(
		f"select count(*) from `tabLoyalty Member` m where {members}", members.values
	)[0][0]
	add(_("Members"), _("Members"), member_count)
	joined = within_period(member_scope(filters), filters, "m.join_date")
	add(
		_("Members"),
		_("New Members"),
		frappe.db.sql(f"select count(*) from `tabLoyalty Member` m where {joined}", joined.values)[0][0],
	)
	buyers, repeaters = repurchase(filters)
	add(
		_("Members"),
		_("Repurchase Rate"),
		repeaters,
		flt(100 * repeaters / buyers, 1) if buyers else 0,
	)
	member_spend, non_member_spend = spend_per_customer(filters)
	add(_("Members"), _("Average Spend per Member"), member_spend)
	add(_("Members"), _("Average Spend per Non-member"), non_member_spend)
	for label, field in (
		(_("Tier"), "tier"),
		(_("Lifecycle Stage"), "lifecycle_stage"),
		(_("RFM Segment"), "rfm_segment"),
	):
		for value, count in frappe.db.sql(
			f"""select coalesce(m.{field}, ''), count(*) from `tabLoyalty Member` m where {members}
			group by m.{field} order by count(*) desc""",
			members.values,
		):
			add(label, value or _("None"), count, flt(100 * count / member_count, 1) if member_count else 0)
	moves = within_period(member_scope(filters), filters, "c.changed_on")
	for from_tier, to_tier, count in frappe.db.sql(
		f"""select coalesce(c.from_tier, ''), coalesce(c.to_tier, ''), count(*) from `tabMember Tier Change` c
		join `tabLoyalty Member` m on m.name = c.member where {moves}
		group by c.from_tier, c.to_tier order by count(*) desc""",
		moves.values,
	):
		add(_("Tier Movement"), f"{from_tier or _('None')} → {to_tier or _('None')}", count)
	redeemed = place_scope(
		within_period(Conditions(), filters, "r.posting_date"), filters, "r.company", "r.store"
	)
	for reward, quantity in frappe.db.sql(
		f"""select r.reward, sum(r.quantity) from `tabReward Redemption` r where r.docstatus = 1 and {redeemed}
		group by r.reward order by sum(r.quantity) desc limit 10""",
		redeemed.values,
	):
		add(_("Top Rewards"), reward, int(quantity))
	issued = within_period(Conditions(), filters, "c.creation")
	for campaign, count, used in frappe.db.sql(
		f"""select c.coupon_campaign, count(*), sum(c.used > 0) from `tabCoupon Code` c
		where c.coupon_campaign is not null and {issued}
		group by c.coupon_campaign order by count(*) desc""",
		issued.values,
	):
		add(_("Coupon Usage"), campaign, int(used or 0), flt(100 * (used or 0) / count, 1) if count else 0)
	for group, group_members, spend in frappe.db.sql(
		f"""select g.community_group, count(*), sum(m.total_spend) from `tabCommunity Membership` g
		join `tabLoyalty Member` m on m.name = g.member where g.status = 'Active' and {members}
		group by g.community_group order by count(*) desc""",
		members.values,
	):
		add(_("Community Groups"), group, group_members, flt(spend or 0, 2))
	columns = [
		{"fieldname": "section", "label": _("Section"), "fieldtype": "Data", "width": 150},
		{"fieldname": "figure", "label": _("Figure"), "fieldtype": "Data", "width": 260},
		{"fieldname": "value", "label": _("Value"), "fieldtype": "Float", "width": 130},
		{"fieldname": "share", "label": _("Share % / Spend"), "fieldtype": "Float", "width": 130},
	]
	return columns, rows


def sales(filters: dict) -> tuple[str, dict]:
	"""Submitted sales (POS Invoices once, not again as their consolidated Sales Invoice) in the filters."""
	where = place_scope(
		within_period(Conditions(), filters, "posting_date"), filters, "company", "set_warehouse"
	)
	where.add("docstatus = 1")
	return (
		f"""select customer, base_net_total as total, is_return from `tabSales Invoice`
			where is_consolidated = 0 and {where}
		union all
		select customer, base_net_total, is_return from `tabPOS Invoice` where {where}""",
		where.values,
	)


def repurchase(filters: dict) -> tuple[int, int]:
	"""Members of the scope who bought in the period, and those of them who bought at least twice."""
	sales_sql, values = sales(filters)
	members = member_scope(filters)
	row = frappe.db.sql(
		f"""select count(*), coalesce(sum(purchases >= 2), 0) from (
			select m.name, count(*) as purchases from ({sales_sql}) sale
			join `tabLoyalty Member` m on m.customer = sale.customer
			where sale.is_return = 0 and {members} group by m.name
		) buyers""",
		{**values, **members.values},
	)[0]
	return int(row[0]), int(row[1])


def spend_per_customer(filters: dict) -> tuple[float, float]:
	"""Average net sales per customer who bought, for members' customers and for everyone else."""
	sales_sql, values = sales(filters)
	row = frappe.db.sql(
		f"""select
			sum(if(m.name is not null, total, 0)) / nullif(count(distinct if(m.name is not null, sale.customer, null)), 0),
			sum(if(m.name is null, total, 0)) / nullif(count(distinct if(m.name is null, sale.customer, null)), 0)
		from ({sales_sql}) sale left join `tabLoyalty Member` m on m.customer = sale.customer""",
		values,
	)[0]
	return flt(row[0] or 0, 2), flt(row[1] or 0, 2)
