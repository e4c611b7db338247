"""The store clerk's POS panel API (loyalty_app.api.pos): look-up, enrolment, permissions."""

import frappe
from frappe.tests.utils import FrappeTestCase

from loyalty_app.api import pos
from loyalty_app.install import LOYALTY_USER
from loyalty_app.tests.utils import (
	TEA,
	as_user,
	customer_of,
	make_invoice,
	make_member,
	make_user,
	programme,
	random_mobile,
)


def local_format(mobile: str) -> str:
	"""+8613912345678 as a clerk might type it: 139 1234 5678."""
	digits = mobile.removeprefix("+86")
	return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


class TestPosApi(FrappeTestCase):
	def setUp(self):
		self.clerk = make_user("_lp_pos_clerk@example.com", LOYALTY_USER, "Sales User")

	def test_lookup_by_mobile_in_another_format_code_and_customer(self):
		mobile = random_mobile()
		with programme(point_value=0.1):
			member = make_member(mobile_no=mobile, member_name="POS Lookup")
			make_invoice(member, [(TEA, 1, 250)])
			with as_user(self.clerk):
				by_mobile = pos.lookup(local_format(mobile))
				by_code = pos.lookup(member.lower())
				by_customer = pos.lookup(customer_of(member))
				for_customer = pos.for_customer(customer_of(member))
		self.assertEqual(by_mobile["member"], member)
		self.assertEqual(by_mobile["mobile_no"], mobile)
		self.assertEqual(by_mobile["customer"], customer_of(member))
		self.assertEqual(by_mobile["point_value"], 0.1)
		self.assertEqual(by_mobile["points_balance"], 250)
		self.assertEqual(by_mobile["redeemable_points"], 250)
		self.assertEqual(by_code["member"], member)
		self.assertEqual(by_customer["member"], member)
		self.assertEqual(for_customer["member"], member)

	def test_lookup_of_unknown_returns_none(self):
		with as_user(self.clerk):
			self.assertIsNone(pos.lookup(random_mobile()))
			self.assertIsNone(pos.lookup("LM-99999999"))
			self.assertIsNone(pos.lookup("no such customer"))
			self.assertIsNone(pos.lookup("  "))
			self.assertIsNone(pos.for_customer("no such customer"))
			# a number that is no valid mobile is not found, without an error message for the clerk
			frappe.local.message_log = []
			self.assertIsNone(pos.lookup("12345"))
			self.assertEqual(frappe.local.message_log, [])

	def test_enrol_is_idempotent_by_mobile(self):
		mobile = random_mobile()
		with as_user(self.clerk):
			first = pos.enrol(mobile, "Walk-in Customer")
			again = pos.enrol(local_format(mobile), "Another Name")
		self.assertEqual(first["member"], again["member"])
		self.assertEqual(again["member_name"], "Walk-in Customer")
		self.assertTrue(first["customer"])
		self.assertEqual(frappe.db.count("Loyalty Member", {"mobile_no": mobile}), 1)

	def test_user_without_loyalty_roles_is_refused(self):
		member = make_member()
		outsider = make_user("_lp_pos_outsider@example.com", "Sales User")
		with as_user(outsider):
			with self.assertRaises(frappe.PermissionError):
				pos.lookup(member)
			with self.assertRaises(frappe.PermissionError):
				pos.enrol(random_mobile(), "Nobody")
			with self.assertRaises(frappe.PermissionError):
				pos.for_customer(customer_of(member))
