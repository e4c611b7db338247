"""Manual Actions: who changed points, members, rules and settings by hand, and when.

Points adjustments, member merges, member status changes (freezes, releases, closures), risk alert
decisions, privacy exports and erasures, and changes to the loyalty settings and rules (from their
Versions), by user and date range.
"""

import frappe
from frappe import _
from frappe.utils import add_days, getdate

AUDITED_SETTINGS = (
	"Loyalty Settings",
	"Risk Rule",
	"Earning Rule",
	"Membership Tier",
	"Loyalty Points Accounting",
)


def execute(filters=None):
	filters = frappe._dict(filters or {})
	start, end = getdate(filters.from_date), add_days(getdate(filters.to_date), 1)
	params = {"start": start, "end": end, "user": filters.user or None, "settings": AUDITED_SETTINGS}
	rows = frappe.db.sql(
		"""select * from (
			select a.modified as at, a.modified_by as user, if(a.docstatus = 2, %(cancelled)s, %(adjustment)s) as action,
				'Points Adjustment' as document_type, a.name as document, a.member, concat(a.points, ' — ', coalesce(a.reason, '')) as details
			from `tabPoints Adjustment` a where a.docstatus > 0 and a.modified >= %(start)s and a.modified < %(end)s
			union all
			select m.modified, m.modified_by, %(merge)s, 'Member Merge', m.name, m.duplicate_member,
				concat('→ ', m.surviving_member, ': ', m.points_moved)
			from `tabMember Merge` m where m.docstatus = 1 and m.modified >= %(start)s and m.modified < %(end)s
			union all
			select r.reviewed_at, r.reviewed_by, r.status, 'Risk Alert', r.name, r.member, coalesce(r.review_note, r.summary)
			from `tabRisk Alert` r where r.reviewed_at >= %(start)s and r.reviewed_at < %(end)s
			union all
			select p.processed_at, p.processed_by, p.request_type, 'Privacy Request', p.name, p.member, p.remarks
			from `tabPrivacy Request` p where p.processed_at >= %(start)s and p.processed_at < %(end)s
			union all
			select v.creation, v.owner, if(v.ref_doctype = 'Loyalty Member', %(status)s, %(settings_change)s),
				v.ref_doctype, v.docname, if(v.ref_doctype = 'Loyalty Member', v.docname, null), v.data
			from `tabVersion` v where v.creation >= %(start)s and v.creation < %(end)s
				and (v.ref_doctype in %(settings)s
					or (v.ref_doctype = 'Loyalty Member' and v.data like '%%"status"%%'))
		) actions where %(user)s is null or user = %(user)s order by at desc""",
		{
			**params,
			"cancelled": _("Adjustment cancelled"),
			"adjustment": _("Points adjustment"),
			"merge": _("Member merge"),
			"status": _("Member status change"),
			"settings_change": _("Settings or rule change"),
		},
		as_dict=True,
	)
	return columns(), rows


def columns() -> list[dict]:
	return [
		{"fieldname": "at", "label": _("Date and Time"), "fieldtype": "Datetime", "width": 160},
		{"fieldname": "user", "label": _("User"), "fieldtype": "Link", "options": "User", "width": 180},
		{"fieldname": "action", "label": _("Action"), "fieldtype": "Data", "width": 170},
		{
			"fieldname": "document_type",
			"label": _("Document Type"),
			"fieldtype": "Link",
			"options": "DocType",
			"width": 140,
		},
		{
			"fieldname": "document",
			"label": _("Document"),
			"fieldtype": "Dynamic Link",
			"options": "document_type",
			"width": 160,
		},
		{
			"fieldname": "member",
			"label": _("Member"),
			"fieldtype": "Link",
			"options": "Loyalty Member",
			"width": 120,
		},
		{"fieldname": "details", "label": _("Details"), "fieldtype": "Data", "width": 300},
	]
