"""Outstanding points and their value by expiry month, with the period's earned, redeemed and expired.

Outstanding = what remains in the lots less the points members owe (their debt, one row of its own), which
the ledger keeps equal to the members' balances.
Earned and redeemed are gross: what was credited (earns, bonuses, positive adjustments) and what was
spent in the period, before cancels, returns and restores, which are Reverse entries and shown by no
figure here; the labels say so. Redemption rate = redeemed / earned; breakage = expired / earned.
"""

import frappe
from frappe import _
from frappe.utils import flt

from loyalty_app.insight.services.accounting import company_condition
from loyalty_app.insight.services.report_filters import Conditions, within_period
from loyalty_app.loyalty.services.settings import get_settings


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	point_value = float(get_settings().point_value)
	where = ledger_scope(filters).add("remaining_points > 0")
	rows = frappe.db.sql(
		f"""select coalesce(date_format(expiry_date, '%%Y-%%m'), %(never)s) as expiry_month,
			sum(remaining_points) as outstanding_points, count(distinct member) as members
		from `tabPoints Ledger Entry` where {where}
		group by expiry_month order by expiry_month""",
		{**where.values, "never": _("Never")},
		as_dict=True,
	)
	scope = ledger_scope(filters)
	debt = frappe.db.sql(
		f"""select coalesce(sum(m.points_debt), 0) as points, count(*) as members
		from `tabLoyalty Member` m where m.points_debt > 0 and exists (
			select 1 from `tabPoints Ledger Entry` where `tabPoints Ledger Entry`.member = m.name and {scope})""",
		scope.values,
		as_dict=True,
	)[0]
	if debt.points:
		rows.append(
			frappe._dict(
				expiry_month=_("Owed by members (points debt)"),
				outstanding_points=-debt.points,
				members=debt.members,
			)
		)
	for row in rows:
		row.outstanding_points = int(row.outstanding_points)
		row.outstanding_value = flt(row.outstanding_points * point_value, 2)
	movement = period_movement(filters)
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
		{"label": _("Earned (before reversals and returns)"), "value": movement["earned"], "datatype": "Int"},
		{"label": _("Redeemed (before restores)"), "value": movement["redeemed"], "datatype": "Int"},
		{"label": _("Expired"), "value": movement["expired"], "datatype": "Int"},
		{"label": _("Redemption Rate"), "value": movement["redemption_rate"], "datatype": "Percent"},
		{"label": _("Breakage"), "value": movement["breakage"], "datatype": "Percent"},
	]
	return columns(), rows, None, None, summary


def ledger_scope(filters: dict) -> Conditions:
	"""Ledger entries of the company (by the entry's own company) and of the home store's members."""
	conditions = Conditions()
	if filters.get("company"):
		condition, (company,) = company_condition(filters["company"])
		conditions.add(condition.replace("%s", "%(company)s"), company=company)
	if filters.get("store"):
		conditions.add(
			"member in (select name from `tabLoyalty Member` where home_store = %(store)s)",
			store=filters["store"],
		)
	return conditions


def period_movement(filters: dict) -> dict:
	"""Points credited (gross, before reversals and returns), redeemed (gross, before restores) and expired
	between the dates."""
	where = within_period(ledger_scope(filters), filters, "posting_datetime")
	row = frappe.db.sql(
		f"""select
			coalesce(sum(if(entry_type in ('Earn', 'Bonus') or (entry_type = 'Adjust' and points > 0), points, 0)), 0),
			coalesce(sum(if(entry_type = 'Redeem', -points, 0)), 0),
			coalesce(sum(if(entry_type = 'Expire', -points, 0)), 0)
		from `tabPoints Ledger Entry` where {where}""",
		where.values,
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
