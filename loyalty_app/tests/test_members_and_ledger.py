"""Members, the ledger's immutability and permissions, manual adjustments, and two tills at once."""

import threading

import frappe
from frappe.tests.utils import FrappeTestCase

from loyalty_app.install import LOYALTY_MANAGER, LOYALTY_USER
from loyalty_app.loyalty.doctype.loyalty_member.loyalty_member import DuplicateMemberError
from loyalty_app.loyalty.services.ledger import InsufficientPointsError, Voucher, debit
from loyalty_app.loyalty.services.members import InvalidMobileError, enrol
from loyalty_app.tests.utils import (
	TEA,
	as_user,
	assert_ledger_consistent,
	ledger,
	make_invoice,
	make_member,
	make_user,
	member_figures,
	programme,
	random_mobile,
)
from loyalty_app.trust.services.consent import set_consent


class TestMembers(FrappeTestCase):
	def test_enrol_normalises_the_mobile_and_creates_the_customer(self):
		member = enrol("139 1234 5678", "Wang Lei", channel="Mini-program")

		self.assertEqual(member.mobile_no, "+8613912345678")
		self.assertEqual(frappe.db.get_value("Customer", member.customer, "customer_name"), "Wang Lei")
		self.assertEqual(len(member.referral_code), 8)
		self.assertEqual(member.points_balance, 0)

	def test_enrol_is_idempotent_by_mobile(self):
		first = enrol("+86 139 0000 1111", "Li Na")
		again = enrol("13900001111", "Someone Else")

		self.assertEqual(first.name, again.name)
		self.assertEqual(frappe.db.count("Loyalty Member", {"mobile_no": "+8613900001111"}), 1)

	def test_a_second_member_with_the_same_mobile_is_refused(self):
		enrol("+8613900002222", "Zhao Yun")
		duplicate = frappe.get_doc(
			{"doctype": "Loyalty Member", "member_name": "Copy", "mobile_no": "139-0000-2222"}
		)
		with self.assertRaises(DuplicateMemberError):
			duplicate.insert()

	def test_an_invalid_mobile_is_refused_with_a_clear_message(self):
		with self.assertRaisesRegex(InvalidMobileError, "not a valid mobile number"):
			enrol("12345", "Nobody")

	def test_existing_customer_can_be_enrolled_once(self):
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "_LP Existing",
				"customer_group": "All Customer Groups",
				"territory": "All Territories",
			}
		).insert()
		member = enrol(random_mobile(), "Existing", customer=customer.name)
		self.assertEqual(member.customer, customer.name)
		with self.assertRaises(DuplicateMemberError):
			enrol(random_mobile(), "Existing again", customer=customer.name)

	def test_point_figures_cannot_be_set_by_editing_the_member(self):
		member = make_member()
		doc = frappe.get_doc("Loyalty Member", member)
		doc.points_balance = 1_000_000
		doc.tier = None
		doc.save()
		self.assertEqual(member_figures(member).points_balance, 0)

	def test_marketing_consent_records_when_it_changed(self):
		member = make_member()
		self.assertFalse(frappe.db.get_value("Loyalty Member", member, "marketing_consent_at"))
		set_consent(member, "Marketing", True, "App", None)
		self.assertTrue(frappe.db.get_value("Loyalty Member", member, "marketing_consent_at"))


class TestLedgerIntegrity(FrappeTestCase):
	def test_ledger_entries_cannot_be_created_edited_or_deleted_by_hand(self):
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 20)])
		entry = frappe.get_doc("Points Ledger Entry", ledger(member)[0].name)

		entry.points = 1000
		with self.assertRaises(frappe.ValidationError):
			entry.save(ignore_permissions=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Points Ledger Entry", entry.name, ignore_permissions=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc(
				{"doctype": "Points Ledger Entry", "member": member, "entry_type": "Bonus", "points": 5}
			).insert(ignore_permissions=True)
		self.assertEqual(member_figures(member).points_balance, 20)

	def test_store_clerk_can_enrol_and_read_but_not_adjust_or_edit_rules(self):
		clerk = make_user("_lp_clerk@example.com", LOYALTY_USER, "Sales User")
		with as_user(clerk):
			self.assertTrue(frappe.has_permission("Loyalty Member", "create"))
			self.assertTrue(frappe.has_permission("Points Ledger Entry", "read"))
			self.assertFalse(frappe.has_permission("Points Adjustment", "create"))
			self.assertFalse(frappe.has_permission("Earning Rule", "write"))
			self.assertFalse(frappe.has_permission("Loyalty Settings", "write"))
			self.assertFalse(frappe.has_permission("Points Ledger Entry", "write"))
			member = enrol(random_mobile(), "Clerk Enrolled")
			adjustment = frappe.get_doc(
				{
					"doctype": "Points Adjustment",
					"member": member.name,
					"points": 500,
					"reason": "gift to a friend",
				}
			)
			with self.assertRaises(frappe.PermissionError):
				adjustment.insert()
		self.assertEqual(member_figures(member.name).points_balance, 0)

	def test_manager_adjustment_credits_debits_and_cancel_reverses(self):
		manager = make_user("_lp_manager@example.com", LOYALTY_MANAGER)
		member = make_member()
		with programme(), as_user(manager):
			credit_note = frappe.get_doc(
				{
					"doctype": "Points Adjustment",
					"member": member,
					"points": 300,
					"reason": "Complaint goodwill",
				}
			).insert()
			credit_note.submit()
			debit_note = frappe.get_doc(
				{
					"doctype": "Points Adjustment",
					"member": member,
					"points": -120,
					"reason": "Duplicate credit",
				}
			).insert()
			debit_note.submit()
			self.assertEqual(member_figures(member).points_balance, 180)
			too_much = frappe.get_doc(
				{"doctype": "Points Adjustment", "member": member, "points": -181, "reason": "Too much"}
			).insert()
			with self.assertRaises(InsufficientPointsError):
				too_much.submit()
			debit_note.cancel()

		self.assertEqual(member_figures(member).points_balance, 300)
		self.assertEqual([e.entry_type for e in ledger(member)], ["Adjust", "Adjust", "Reverse"])
		assert_ledger_consistent(self, member)


class TestTwoTills(FrappeTestCase):
	def test_two_tills_cannot_spend_the_same_points(self):
		"""Two connections redeem 80 of the member's 100 points at the same moment: one wins."""
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 100)])
		frappe.db.commit()  # nosemgrep: the other connections must see the member and the lot

		site, outcomes, start = frappe.local.site, [], threading.Barrier(2)

		def till(number: int) -> None:
			frappe.init(site=site)
			frappe.connect()
			frappe.set_user("Administrator")
			try:
				start.wait()
				debit(
					member, 80, "Redeem", Voucher("Loyalty Member", member), key=f"_lp-till-{member}-{number}"
				)
				frappe.db.commit()  # nosemgrep
				outcomes.append("redeemed")
			except InsufficientPointsError:
				frappe.db.rollback()
				outcomes.append("refused")
			finally:
				frappe.destroy()

		tills = [threading.Thread(target=till, args=(n,)) for n in (1, 2)]
		for thread in tills:
			thread.start()
		for thread in tills:
			thread.join()

		self.assertEqual(sorted(outcomes), ["redeemed", "refused"])
		self.assertEqual(member_figures(member).points_balance, 20)
		assert_ledger_consistent(self, member)
