"""The programme's key figures on one sheet: one row per figure, grouped by section."""

import frappe
from frappe import _
from frappe.utils import flt


def execute(filters: dict | None = None):
	rows = []

	def add(section: str, figure: str, value, share=None) -> None:
		rows.append({"section": section, "figure": figure, "value": value, "share": share})

	members = frappe.db.count("Loyalty Member")
	buyers, repeaters = frappe.db.sql(
		"select sum(purchase_count >= 1), sum(purchase_count >= 2) from `tabLoyalty Member`"
	)[0]
	add(_("Members"), _("Members"), members)
	add(
		_("Members"),
		_("Repurchase Rate"),
		int(repeaters or 0),
		flt(100 * (repeaters or 0) / buyers, 1) if buyers else 0,
	)
	member_spend, non_member_spend = spend_per_customer()
	add(_("Members"), _("Average Spend per Member"), member_spend)
	add(_("Members"), _("Average Spend per Non-member"), non_member_spend)
	for label, field in (
		(_("Tier"), "tier"),
		(_("Lifecycle Stage"), "lifecycle_stage"),
		(_("RFM Segment"), "rfm_segment"),
	):
		for value, count in frappe.db.sql(
			f"select coalesce({field}, ''), count(*) from `tabLoyalty Member` group by {field} order by count(*) desc"
		):
			add(label, value or _("None"), count, flt(100 * count / members, 1) if members else 0)
	for from_tier, to_tier, count in frappe.db.sql(
		"""select coalesce(from_tier, ''), coalesce(to_tier, ''), count(*) from `tabMember Tier Change`
		group by from_tier, to_tier order by count(*) desc"""
	):
		add(_("Tier Movement"), f"{from_tier or _('None')} → {to_tier or _('None')}", count)
	for reward, quantity in frappe.db.sql(
		"""select reward, sum(quantity) from `tabReward Redemption` where docstatus = 1
		group by reward order by sum(quantity) desc limit 10"""
	):
		add(_("Top Rewards"), reward, int(quantity))
	for campaign, issued, used in frappe.db.sql(
		"""select coupon_campaign, count(*), sum(used > 0) from `tabCoupon Code`
		where coupon_campaign is not null group by coupon_campaign order by count(*) desc"""
	):
		add(_("Coupon Usage"), campaign, int(used or 0), flt(100 * (used or 0) / issued, 1) if issued else 0)
	for group, group_members, spend in frappe.db.sql(
		"""select g.community_group, count(*), sum(m.total_spend) from `tabCommunity Membership` g
		join `tabLoyalty Member` m on m.name = g.member where g.status = 'Active'
		group by g.community_group order by count(*) desc"""
	):
		add(_("Community Groups"), group, group_members, flt(spend or 0, 2))
	columns = [
		{"fieldname": "section", "label": _("Section"), "fieldtype": "Data", "width": 150},
		{"fieldname": "figure", "label": _("Figure"), "fieldtype": "Data", "width": 260},
		{"fieldname": "value", "label": _("Value"), "fieldtype": "Float", "width": 130},
		{"fieldname": "share", "label": _("Share % / Spend"), "fieldtype": "Float", "width": 130},
	]
	return columns, rows


def spend_per_customer() -> tuple[float, float]:
	"""Average net sales per customer who bought, for members' customers and for everyone else."""
	row = frappe.db.sql(
		"""select
			sum(if(m.name is not null, total, 0)) / nullif(count(distinct if(m.name is not null, sales.customer, null)), 0),
			sum(if(m.name is null, total, 0)) / nullif(count(distinct if(m.name is null, sales.customer, null)), 0)
		from (
			select customer, base_net_total as total from `tabSales Invoice` where docstatus = 1 and is_consolidated = 0
			union all
			select customer, base_net_total from `tabPOS Invoice` where docstatus = 1
		) sales left join `tabLoyalty Member` m on m.customer = sales.customer"""
	)[0]
	return flt(row[0] or 0, 2), flt(row[1] or 0, 2)
