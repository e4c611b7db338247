import json

import frappe
from frappe.tests.utils import FrappeTestCase

from loyalty_app.install import LOYALTY_ROLES, create_roles


class TestInstall(FrappeTestCase):
	def test_roles_exist_with_desk_access(self):
		for role in LOYALTY_ROLES:
			self.assertEqual(frappe.db.get_value("Role", role, "desk_access"), 1, role)

	def test_create_roles_is_idempotent(self):
		create_roles()
		self.assertEqual(frappe.db.count("Role", {"name": ("in", LOYALTY_ROLES)}), len(LOYALTY_ROLES))

	def test_loyalty_workspace_shortcuts_resolve(self):
		workspace = frappe.get_doc("Workspace", "Loyalty")
		self.assertEqual(workspace.module, "Loyalty")
		self.assertTrue(workspace.public)
		blocks = json.loads(workspace.content)
		shortcut_blocks = {b["data"]["shortcut_name"] for b in blocks if b["type"] == "shortcut"}
		self.assertEqual(shortcut_blocks, {s.label for s in workspace.shortcuts})
		for card in workspace.number_cards:
			self.assertTrue(frappe.db.exists("Number Card", card.number_card_name), card.number_card_name)
		for chart in workspace.charts:
			self.assertTrue(frappe.db.exists("Dashboard Chart", chart.chart_name), chart.chart_name)
		for link in workspace.links:
			if link.type == "Link":
				self.assertTrue(frappe.db.exists(link.link_type, link.link_to), link.link_to)
		for shortcut in workspace.shortcuts:
			target_doctype = "Page" if shortcut.type == "Page" else "DocType"
			self.assertTrue(frappe.db.exists(target_doctype, shortcut.link_to), shortcut.link_to)

	def test_scheduled_jobs_are_registered(self):
		daily = frappe.get_hooks("scheduler_events")["daily_long"]
		for job in (
			"loyalty_app.loyalty.services.expiry.expire_points",
			"loyalty_app.loyalty.services.tiers.review_tiers",
			"loyalty_app.loyalty.services.expiry.refresh_expiry_reminders",
		):
			self.assertIn(job, daily)
			self.assertTrue(frappe.db.exists("Scheduled Job Type", {"method": job}))

	def test_invoices_carry_the_loyalty_fields_and_points_can_pay(self):
		for doctype in ("Sales Invoice", "POS Invoice"):
			meta = frappe.get_meta(doctype)
			for fieldname in ("loyalty_member", "loyalty_points_redeemed", "loyalty_points_earned"):
				self.assertTrue(meta.has_field(fieldname), f"{doctype}.{fieldname}")
		self.assertEqual(frappe.db.get_value("Mode of Payment", "Loyalty Points", "type"), "General")

	def test_store_clerks_can_open_and_close_a_till(self):
		for doctype in ("POS Opening Entry", "POS Closing Entry"):
			for ptype in ("read", "create", "submit"):
				self.assertTrue(
					frappe.permissions.has_permission(doctype, ptype, user=self.clerk()), (doctype, ptype)
				)

	def clerk(self) -> str:
		email = "_lp_till_clerk@example.com"
		if not frappe.db.exists("User", email):
			frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": "Till", "send_welcome_email": 0}
			).insert(ignore_permissions=True).add_roles("Loyalty User")
		return email
