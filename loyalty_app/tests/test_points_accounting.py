"""Points as a liability: daily Journal Entries keep the liability account equal to points × value."""

import threading

import frappe
from frappe.tests.utils import FrappeTestCase, change_settings
from frappe.utils import add_days, add_months, getdate, today

from loyalty_app.insight.report.points_liability_reconciliation.points_liability_reconciliation import execute
from loyalty_app.insight.services.accounting import POSTING, post_points_liability, reconciliation
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


def setup_rows(start_date) -> list[dict]:
	return [
		{
			"company": company(),
			"enabled": 1,
			"start_date": start_date,
			"point_value": 0.01,
			"liability_account": account("_LP Points Liability", "Current Liabilities", "Liability"),
			"revenue_account": frappe.get_cached_value("Company", company(), "default_income_account"),
			"breakage_account": account("_LP Points Breakage", "Indirect Income", "Income"),
		}
	]


def forget_postings_since(day) -> None:
	"""Earlier runs of these tests committed postings; let this test's days be posted afresh."""
	frappe.db.delete(POSTING, {"company": company(), "posting_date": (">=", day)})


def posting_of(member: str) -> set:
	return set(frappe.get_all("Points Ledger Entry", {"member": member}, pluck="liability_posting"))


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

	def test_an_entry_dated_on_a_posted_day_reaches_the_books_on_the_next_run(self):
		yesterday, two_days_ago = add_days(today(), -1), add_days(today(), -2)
		with programme(points_per_currency_unit=1), accounting(setup_rows(add_days(today(), -3))):
			forget_postings_since(add_days(today(), -3))
			on_time = make_member()
			make_invoice(on_time, [(TEA, 1, 500)], set_posting_time=1, posting_date=two_days_ago)
			first = post_points_liability(yesterday)
			late = make_member()
			make_invoice(late, [(TEA, 1, 1280)], set_posting_time=1, posting_date=two_days_ago)
			before_next_run = reconciliation(company())
			second = post_points_liability(today())
			after = reconciliation(company())
			again = post_points_liability(today())

		self.assertTrue(first)
		self.assertEqual(before_next_run["difference"], 0)
		self.assertGreaterEqual(before_next_run["waiting_points"], 1280)
		self.assertEqual(len(second), 1)
		self.assertEqual(again, [])
		self.assertEqual(after["difference"], 0)
		self.assertGreaterEqual(round(after["ledger_value"] - before_next_run["ledger_value"], 2), 12.80)
		(late_posting,) = posting_of(late)
		self.assertEqual(frappe.db.get_value(POSTING, late_posting, "posting_date"), getdate(today()))
		(on_time_posting,) = posting_of(on_time)
		self.assertEqual(frappe.db.get_value(POSTING, on_time_posting, "posting_date"), getdate(two_days_ago))
		self.assertEqual(frappe.db.get_value("Journal Entry", second[0], "posting_date"), getdate(today()))

	def test_a_day_frozen_in_the_books_is_posted_with_the_run(self):
		three_days_ago = add_days(today(), -3)
		with programme(points_per_currency_unit=1), accounting(setup_rows(add_days(today(), -4))):
			forget_postings_since(add_days(today(), -4))
			member = make_member()
			make_invoice(member, [(TEA, 1, 300)], set_posting_time=1, posting_date=three_days_ago)
			with change_settings("Accounts Settings", acc_frozen_upto=add_days(today(), -2)):
				journals = post_points_liability(today())
			after = reconciliation(company())

		(posting,) = posting_of(member)
		journal = frappe.db.get_value(POSTING, posting, "journal_entry")
		self.assertIn(journal, journals)
		self.assertEqual(frappe.db.get_value(POSTING, posting, "posting_date"), getdate(today()))
		self.assertEqual(frappe.db.get_value("Journal Entry", journal, "posting_date"), getdate(today()))
		self.assertEqual(after["difference"], 0)

	def test_two_runs_at_once_post_each_entry_once(self):
		with programme(points_per_currency_unit=1), accounting(setup_rows(add_days(today(), -1))):
			forget_postings_since(add_days(today(), -1))
			member = make_member()
			make_invoice(member, [(TEA, 1, 700)])
			frappe.db.commit()  # nosemgrep: the two sessions below must see the entries and the setup
			site, start, journals, errors = frappe.local.site, threading.Barrier(2), [], []

			def run() -> None:
				frappe.init(site=site)
				frappe.connect()
				frappe.set_user("Administrator")
				try:
					start.wait()
					journals.extend(post_points_liability(today()))
					frappe.db.commit()  # nosemgrep
				except Exception as e:
					errors.append(e)
				finally:
					frappe.destroy()

			threads = [threading.Thread(target=run) for _ in range(2)]
			for thread in threads:
				thread.start()
			for thread in threads:
				thread.join()
			after = reconciliation(company())
		frappe.db.commit()  # nosemgrep: the accounting setup committed above is taken away again

		self.assertEqual(errors, [])
		self.assertEqual(len(journals), 1)
		self.assertEqual(frappe.db.count(POSTING, {"company": company(), "posting_date": today()}), 1)
		self.assertEqual(after["difference"], 0)
		self.assertEqual(len(posting_of(member)), 1)
