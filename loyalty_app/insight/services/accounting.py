"""Points as a liability (deferred revenue, as IFRS 15 treats loyalty points), posted once a day.

For each company with accounting enabled and each closed day not yet posted, the day's ledger entries are
netted into three movements, valued at the company's value per point (rounded to the cent per line):
- accrual (points credited, less points taken back): Dr revenue / Cr liability (reversed when negative);
- redemption (points redeemed, less redemptions cancelled): Dr liability / Cr revenue;
- breakage (points expired): Dr liability / Cr breakage income.
One Journal Entry per company and day carries them; a Points Liability Posting records the day, so a
rerun posts nothing twice. The liability account's balance then equals the ledger's points × value
through the last posted day, which the Points Liability Reconciliation report shows.
Ledger entries without a company (campaign bonuses) belong to the default company.
"""

from datetime import date
from decimal import Decimal

import frappe
from erpnext import get_default_company
from frappe import _
from frappe.utils import add_days, flt, getdate

from loyalty_app.loyalty.services.settings import get_settings

POSTING = "Points Liability Posting"


def accounting_setups() -> list:
	return [row for row in frappe.get_single("Loyalty Settings").points_accounting if row.enabled]


def company_condition(company: str) -> tuple[str, list]:
	if company == get_default_company():
		return "(company = %s or company is null or company = '')", [company]
	return "company = %s", [company]


def point_value(setup) -> Decimal:
	return Decimal(str(setup.point_value or get_settings().point_value))


def post_points_liability(up_to: date | None = None) -> list[str]:
	"""Daily job: post every closed day (default: up to yesterday); returns the Journal Entries made."""
	last_day = getdate(up_to) if up_to else getdate(add_days(getdate(), -1))
	journals = []
	for setup in accounting_setups():
		condition, values = company_condition(setup.company)
		days = frappe.db.sql_list(
			f"""select distinct date(posting_datetime) as day from `tabPoints Ledger Entry`
			where {condition} and date(posting_datetime) between %s and %s
			and date(posting_datetime) not in (select posting_date from `tabPoints Liability Posting` where company = %s)
			order by day""",
			[*values, setup.start_date, last_day, setup.company],
		)
		for day in days:
			if journal := post_day(setup, getdate(day)):
				journals.append(journal)
	return journals


def day_movements(company: str, day: date) -> tuple[int, int, int]:
	"""(accrued, released by redemption, breakage) points of the company's ledger on the day."""
	condition, values = company_condition(company)
	row = frappe.db.sql(
		f"""select coalesce(sum(e.points), 0),
			coalesce(sum(if(e.entry_type = 'Redeem', -e.points, 0)), 0)
				- coalesce(sum(if(e.entry_type = 'Reverse' and reversed.entry_type = 'Redeem', e.points, 0)), 0),
			coalesce(sum(if(e.entry_type = 'Expire', -e.points, 0)), 0)
		from `tabPoints Ledger Entry` e
		left join `tabPoints Ledger Entry` reversed on reversed.name = e.reverses_entry
		where {condition.replace("company", "e.company")} and date(e.posting_datetime) = %s""",
		[*values, day],
	)[0]
	net, released, breakage = (int(value) for value in row)
	return net + released + breakage, released, breakage


def post_day(setup, day: date) -> str | None:
	accrued, released, breakage = day_movements(setup.company, day)
	value = point_value(setup)
	lines: dict[str, float] = {}

	def move(points: int, debit: str, credit: str) -> None:
		amount = flt(Decimal(points) * value, 2)
		lines[debit] = lines.get(debit, 0) + amount
		lines[credit] = lines.get(credit, 0) - amount

	move(accrued, setup.revenue_account, setup.liability_account)
	move(released, setup.liability_account, setup.revenue_account)
	move(breakage, setup.liability_account, setup.breakage_account)
	journal = None
	if any(flt(amount, 2) for amount in lines.values()):
		cost_center = frappe.get_cached_value("Company", setup.company, "cost_center")
		entry = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"voucher_type": "Journal Entry",
				"company": setup.company,
				"posting_date": day,
				"user_remark": _(
					"Loyalty points liability for {0}: {1} accrued, {2} redeemed, {3} expired"
				).format(day, accrued, released, breakage),
				"accounts": [
					{
						"account": account,
						"debit_in_account_currency": flt(amount, 2) if amount > 0 else 0,
						"credit_in_account_currency": flt(-amount, 2) if amount < 0 else 0,
						"cost_center": cost_center,
					}
					for account, amount in lines.items()
					if flt(amount, 2)
				],
			}
		)
		entry.flags.ignore_permissions = True
		entry.insert()
		entry.submit()
		journal = entry.name
	frappe.get_doc(
		{
			"doctype": POSTING,
			"company": setup.company,
			"posting_date": day,
			"journal_entry": journal,
			"accrued_points": accrued,
			"released_points": released,
			"breakage_points": breakage,
		}
	).insert(ignore_permissions=True)
	return journal


def reconciliation(company: str) -> dict:
	"""Ledger points × value from the start date through the last posted day, against the liability
	account's balance; `opening_points` were outstanding before the start date (booked by hand)."""
	setup = next((s for s in accounting_setups() if s.company == company), None)
	if not setup:
		frappe.throw(_("Points accounting is not enabled for {0}").format(company))
	posted_through = frappe.db.get_value(POSTING, {"company": company}, "max(posting_date)")
	condition, values = company_condition(company)
	points = _points_between(condition, values, setup.start_date, posted_through) if posted_through else 0
	opening_points = _points_between(condition, values, None, add_days(setup.start_date, -1))
	balance = frappe.db.sql(
		"""select coalesce(sum(credit) - sum(debit), 0) from `tabGL Entry`
		where account = %s and company = %s and is_cancelled = 0""",
		(setup.liability_account, company),
	)[0][0]
	ledger_value = flt(Decimal(points) * point_value(setup), 2)
	return {
		"company": company,
		"posted_through": posted_through,
		"opening_points": opening_points,
		"outstanding_points": points,
		"ledger_value": ledger_value,
		"liability_balance": flt(balance, 2),
		"difference": flt(flt(balance, 2) - ledger_value, 2),
	}


def _points_between(condition: str, values: list, from_date, to_date) -> int:
	return int(
		frappe.db.sql(
			f"""select coalesce(sum(points), 0) from `tabPoints Ledger Entry`
			where {condition} and date(posting_datetime) between %s and %s""",
			[*values, from_date or "1900-01-01", to_date],
		)[0][0]
	)
