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
		for shortcut in workspace.shortcuts:
			target_doctype = "Page" if shortcut.type == "Page" else "DocType"
			self.assertTrue(frappe.db.exists(target_doctype, shortcut.link_to), shortcut.link_to)
