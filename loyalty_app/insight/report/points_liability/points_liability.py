"""Outstanding points and their value by expiry month, with the period's earned, redeemed and expired.

Outstanding = what remains in unexpired lots, which the ledger keeps equal to the members' balances.
Redemption rate = redeemed / earned in the period; breakage = expired / earned.
"""

import frappe
from frappe import _
from frappe.utils import flt, getdate

from loyalty_app.insight.services.accounting import company_condition
from loyalty_app.loyalty.services.settings import get_settings


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	point_value = float(get_settings().point_value)
	company_sql, company_values = (
		company_condition(filters.company) if filters.get("company") else ("1 = 1", [])
	)
	rows = frappe.db.sql(
		f"""select coalesce(date_format(expiry_date, '%%Y-%%m'), %s) as expiry_month,
			sum(remaining_points) as outstanding_points, count(distinct member) as members
		from `tabPoints Ledger Entry` where remaining_points > 0 and {company_sql}
		group by expiry_month order by expiry_month""",
		[_("Never"), *company_values],
		as_dict=True,
	)
	for row in rows:
		row.outstanding_points = int(row.outstanding_points)
		row.outstanding_value = flt(row.outstanding_points * point_value, 2)
	movement = period_movement(filters.get("from_date"), filters.get("to_date"), filters.get("company"))
	summary = [
		{
			"label": _("Outstanding Points"),
			"value": sum(r.outstanding_points for r in rows),
			"datatype": "Int",
		},
		{
			"label": _("Outstanding Value"),
			"value": sum(r.outstanding_value for r in rows),
			"datatype": "Currency",
		},
		{"label": _("Earned"), "value": movement["earned"], "datatype": "Int"},
		{"label": _("Redeemed"), "value": movement["redeemed"], "datatype": "Int"},
		{"label": _("Expired"), "value": movement["expired"], "datatype": "Int"},
		{"label": _("Redemption Rate"), "value": movement["redemption_rate"], "datatype": "Percent"},
		{"label": _("Breakage"), "value": movement["breakage"], "datatype": "Percent"},
	]
	return columns(), rows, None, None, summary


def period_movement(from_date=None, to_date=None, company=None) -> dict:
	"""Points earned (net of reversals), redeemed (net of restores) and expired between the dates."""
	conditions, values = [], {}
	if company:
		condition, (value,) = company_condition(company)
		conditions.append(condition.replace("%s", "%(company)s"))
		values["company"] = value
	if from_date:
		conditions.append("posting_datetime >= %(from_date)s")
		values["from_date"] = getdate(from_date)
	if to_date:
		conditions.append("posting_datetime < %(to_date)s + interval 1 day")
		values["to_date"] = getdate(to_date)
	where = " and ".join(conditions) or "1 = 1"
	row = frappe.db.sql(
		f"""select
			coalesce(sum(if(entry_type in ('Earn', 'Bonus') or (entry_type = 'Adjust' and points > 0), points, 0)), 0),
			coalesce(sum(if(entry_type = 'Redeem', -points, 0)), 0),
			coalesce(sum(if(entry_type = 'Expire', -points, 0)), 0)
		from `tabPoints Ledger Entry` where {where}""",
		values,
	)[0]
	earned, redeemed, expired = (int(value) for value in row)
	return {
		"earned": earned,
		"redeemed": redeemed,
		"expired": expired,
		"redemption_rate": flt(redeemed * 100 / earned, 2) if earned else 0,
		"breakage": flt(expired * 100 / earned, 2) if earned else 0,
	}


def columns() -> list[dict]:
	return [
		{"fieldname": "expiry_month", "label": _("Expiry Month"), "fieldtype": "Data", "width": 120},
		{
			"fieldname": "outstanding_points",
			"label": _("Outstanding Points"),
			"fieldtype": "Int",
			"width": 150,
		},
		{
			"fieldname": "outstanding_value",
			"label": _("Outstanding Value"),
			"fieldtype": "Currency",
			"width": 150,
		},
		{"fieldname": "members", "label": _("Members"), "fieldtype": "Int", "width": 100},
	]
