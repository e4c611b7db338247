"""Points as a liability: daily Journal Entries keep the liability account equal to points × value."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_months, today

from loyalty_app.insight.report.points_liability_reconciliation.points_liability_reconciliation import execute
from loyalty_app.insight.services.accounting import post_points_liability
from loyalty_app.loyalty.services.expiry import expire_points
from loyalty_app.loyalty.services.ledger import Voucher, debit
from loyalty_app.tests.utils import TEA, company, make_invoice, make_member, programme, settings_table


def account(name: str, parent_name: str, root_type: str) -> str:
	the_company = company()
	if existing := frappe.db.get_value("Account", {"account_name": name, "company": the_company}):
		return existing
	parent = frappe.db.get_value(
		"Account", {"account_name": parent_name, "company": the_company, "is_group": 1}
	) or frappe.db.get_value("Account", {"root_type": root_type, "company": the_company, "is_group": 1})
	return (
		frappe.get_doc(
			{"doctype": "Account", "account_name": name, "company": the_company, "parent_account": parent}
		)
		.insert()
		.name
	)


def balance(account_name: str) -> float:
	return frappe.db.sql(
		"select coalesce(sum(credit) - sum(debit), 0) from `tabGL Entry` where account = %s and is_cancelled = 0",
		account_name,
	)[0][0]


def accounting(rows: list[dict]):
	return settings_table("points_accounting", rows)


class TestPointsAccounting(FrappeTestCase):
	def test_daily_postings_keep_the_liability_equal_to_outstanding_points_times_value(self):
		liability = account("_LP Points Liability", "Current Liabilities", "Liability")
		breakage = account("_LP Points Breakage", "Indirect Income", "Income")
		revenue = frappe.get_cached_value("Company", company(), "default_income_account")
		setup = [
			{
				"company": company(),
				"enabled": 1,
				"start_date": today(),
				"point_value": 0.01,
				"liability_account": liability,
				"revenue_account": revenue,
				"breakage_account": breakage,
			}
		]
		with programme(points_per_currency_unit=1, expiry_months=1), accounting(setup):
			frappe.db.delete("Points Liability Posting", {"posting_date": today()})
			member = make_member()
			make_invoice(member, [(TEA, 1, 1000)])
			cancelled = make_invoice(member, [(TEA, 1, 300)])
			cancelled.cancel()
			debit(member, 200, "Redeem", Voucher("Loyalty Member", member), key=f"_lp-acct-{member}")
			frappe.db.sql(
				"update `tabPoints Ledger Entry` set company = %s where member = %s", (company(), member)
			)
			expire_points(add_months(today(), 2))
			journals = post_points_liability(today())
			again = post_points_liability(today())
			_columns, rows = execute()
			_columns, filtered = execute({"company": company()})
			_columns, other_company = execute({"company": "_LP No Such Company"})

		self.assertEqual(again, [])
		self.assertTrue(journals)
		ours = next(row for row in rows if row["company"] == company())
		self.assertEqual((filtered, other_company), ([ours], []))
		self.assertEqual(ours["difference"], 0)
		self.assertAlmostEqual(ours["liability_balance"], ours["outstanding_points"] * 0.01, 2)
		expired = -frappe.db.sql(
			"select sum(points) from `tabPoints Ledger Entry` where entry_type = 'Expire' and date(posting_datetime) = %s",
			today(),
		)[0][0]
		self.assertAlmostEqual(balance(breakage), expired * 0.01, 2)
