"""Share of each join-month cohort that bought in each of its first 12 months (month 1 = join month)."""

import frappe
from frappe import _

from loyalty_app.insight.services.report_filters import member_scope, within_period

MONTHS = 12


def execute(filters: dict | None = None):
	filters = filters or {}
	where = within_period(member_scope(filters), filters, "m.join_date")
	cohorts = frappe.db.sql(
		f"""select date_format(m.join_date, '%%Y-%%m') as cohort, count(*) as members
		from `tabLoyalty Member` m where {where} group by cohort order by cohort""",
		where.values,
		as_dict=True,
	)
	buyers = frappe.db.sql(
		f"""select date_format(m.join_date, '%%Y-%%m') as cohort,
			period_diff(date_format(e.posting_datetime, '%%Y%%m'), date_format(m.join_date, '%%Y%%m')) + 1 as month,
			count(distinct e.member) as buyers
		from `tabPoints Ledger Entry` e join `tabLoyalty Member` m on m.name = e.member
		where {where} and e.entry_type = 'Earn' and e.posting_datetime >= m.join_date
		group by cohort, month having month between 1 and {MONTHS}""",
		where.values,
		as_dict=True,
	)
	share = {(b.cohort, b.month): b.buyers for b in buyers}
	for cohort in cohorts:
		for month in range(1, MONTHS + 1):
			cohort[f"month_{month}"] = round(100 * share.get((cohort.cohort, month), 0) / cohort.members, 1)
	columns = [
		{"fieldname": "cohort", "label": _("Join Month"), "fieldtype": "Data", "width": 100},
		{"fieldname": "members", "label": _("Members"), "fieldtype": "Int", "width": 90},
	] + [
		{
			"fieldname": f"month_{month}",
			"label": _("Month {0} %").format(month),
			"fieldtype": "Percent",
			"width": 90,
		}
		for month in range(1, MONTHS + 1)
	]
	return columns, cohorts
