"""Satisfaction over time by store and tier: surveys, average rating, negative share and complaints."""

import frappe
from frappe import _
from frappe.utils import add_months, getdate, today

from loyalty_app.engagement.services.feedback import rules


def execute(filters: dict | None = None) -> tuple[list, list]:
	filters = frappe._dict(filters or {})
	to_date = getdate(filters.get("to_date") or today())
	from_date = getdate(filters.get("from_date") or add_months(to_date, -12))
	conditions = ["f.feedback_date between %(from_date)s and %(to_date)s"]
	for field in ("store", "tier"):
		if filters.get(field):
			conditions.append(f"f.{field} = %({field})s")
	rows = frappe.db.sql(
		f"""select date_format(f.feedback_date, '%%Y-%%m') as period, f.store, f.tier,
			sum(f.feedback_type = 'Survey') as surveys,
			round(avg(if(f.feedback_type = 'Survey', f.rating, null)), 2) as average_rating,
			round(100 * sum(f.feedback_type = 'Survey' and f.rating <= %(negative)s)
				/ nullif(sum(f.feedback_type = 'Survey'), 0), 1) as negative_share,
			sum(f.feedback_type = 'Complaint') as complaints,
			sum(f.feedback_type = 'Complaint' and f.status = 'Open') as open_complaints
		from `tabMember Feedback` f
		where {" and ".join(conditions)}
		group by period, f.store, f.tier
		order by period, f.store, f.tier""",
		{**filters, "from_date": from_date, "to_date": to_date, "negative": rules().negative_rating},
		as_dict=True,
	)
	return columns(), rows


def columns() -> list[dict]:
	return [
		{"fieldname": "period", "label": _("Month"), "fieldtype": "Data", "width": 90},
		{
			"fieldname": "store",
			"label": _("Store"),
			"fieldtype": "Link",
			"options": "Warehouse",
			"width": 160,
		},
		{
			"fieldname": "tier",
			"label": _("Tier"),
			"fieldtype": "Link",
			"options": "Membership Tier",
			"width": 110,
		},
		{"fieldname": "surveys", "label": _("Surveys"), "fieldtype": "Int", "width": 90},
		{"fieldname": "average_rating", "label": _("Average Rating"), "fieldtype": "Float", "width": 110},
		{
			"fieldname": "negative_share",
			"label": _("Negative Ratings %"),
			"fieldtype": "Percent",
			"width": 120,
		},
		{"fieldname": "complaints", "label": _("Complaints"), "fieldtype": "Int", "width": 100},
		{"fieldname": "open_complaints", "label": _("Open Complaints"), "fieldtype": "Int", "width": 120},
	]
