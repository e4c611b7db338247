"""The Ledger Audit finds no break on a ledger the services wrote, and names every kind of break."""

import frappe
from frappe.tests.utils import FrappeTestCase

from loyalty_app.install import LOYALTY_USER
from loyalty_app.loyalty.report.ledger_audit.ledger_audit import execute
from loyalty_app.loyalty.services.audit import find_breaks, run
from loyalty_app.loyalty.services.ledger import Voucher, credit
from loyalty_app.tests.utils import TEA, as_user, make_invoice, make_member, make_return, make_user, programme


def breaks_of(member: str) -> list[tuple]:
	return sorted(
		(found.rule, found.document, found.expected, found.actual)
		for found in find_breaks()
		if found.member == member
	)


class TestLedgerAudit(FrappeTestCase):
	def test_sales_returns_and_redemptions_leave_no_break(self):
		member = make_member()
		with programme():
			sale = make_invoice(member, [(TEA, 2, 100)])
			make_return(sale, {TEA: 1})
			make_invoice(member, [(TEA, 1, 50)], doctype="POS Invoice", loyalty_points_redeemed=40)
			cancelled = make_invoice(member, [(TEA, 1, 30)])
			cancelled.cancel()

		self.assertEqual(breaks_of(member), [])

	def test_a_balance_that_differs_from_the_entries_is_a_break(self):
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 100)])
		frappe.db.sql(
			"update `tabLoyalty Member` set points_balance = points_balance + 5 where name = %s", member
		)

		self.assertEqual(breaks_of(member), [("balance", None, 100, 105)])

	def test_a_lot_whose_remainder_was_changed_by_hand_is_a_break(self):
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 100)])
		lot = frappe.db.get_value("Points Ledger Entry", {"member": member, "entry_type": "Earn"})
		frappe.db.set_value("Points Ledger Entry", lot, "remaining_points", 90)

		self.assertEqual(breaks_of(member), [("lot", lot, 100, 90), ("lots", None, 90, 100)])

	def test_a_cancelled_invoice_that_still_holds_points_is_a_break(self):
		member = make_member()
		with programme():
			invoice = make_invoice(member, [(TEA, 1, 100)])
		frappe.db.set_value("Sales Invoice", invoice.name, "docstatus", 2)

		self.assertEqual(breaks_of(member), [("cancelled", f"Sales Invoice {invoice.name}", 0, 100)])

	def test_an_entry_without_a_cause_is_a_break(self):
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 100)])
		entry = frappe.db.get_value("Points Ledger Entry", {"member": member, "entry_type": "Earn"})
		frappe.db.set_value("Points Ledger Entry", entry, {"cause_type": None, "cause_name": None})

		self.assertEqual(breaks_of(member), [("cause", f"Points Ledger Entry {entry}", 1, 0)])

	def test_a_cancelled_invoice_whose_bonus_stayed_is_a_break(self):
		member = make_member()
		with programme():
			invoice = make_invoice(member, [(TEA, 1, 100)])
			credit(
				member,
				100,
				"Bonus",
				Voucher("Membership Tier", "no tier", cause=Voucher("Sales Invoice", invoice.name)),
				key=f"_lp-bonus-{member}",
			)
		frappe.db.set_value("Sales Invoice", invoice.name, "docstatus", 2)

		self.assertIn(("cancelled", f"Sales Invoice {invoice.name}", 0, 200), breaks_of(member))

	def test_an_entry_whose_voucher_does_not_exist_is_a_break(self):
		member = make_member()
		with programme():
			credit(member, 10, "Adjust", Voucher("Points Adjustment", "no-such-adjustment"), key=member)

		self.assertEqual(breaks_of(member), [("voucher", "Points Adjustment no-such-adjustment", 1, 0)])

	def test_the_report_lists_breaks_for_managers_only(self):
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 100)])
		frappe.db.sql("update `tabLoyalty Member` set points_debt = -1 where name = %s", member)

		columns, rows = execute()
		self.assertEqual(
			[column["fieldname"] for column in columns],
			["rule", "description", "member", "document", "expected", "actual"],
		)
		ours = [row for row in rows if row["member"] == member]
		self.assertEqual([row["rule"] for row in ours], ["lots", "debt"])
		self.assertIn("debt is negative", ours[1]["description"])
		self.assertEqual(run(), len(rows))
		clerk = make_user("_lp_audit_clerk@example.com", LOYALTY_USER)
		with as_user(clerk):
			self.assertFalse(frappe.get_doc("Report", "Ledger Audit").is_permitted())
