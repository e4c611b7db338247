"""The permission matrix (trust/permissions/matrix.json) checked in-process: for a user of each role,
Frappe's permission on every DocType of the app and every ERPNext DocType it writes, which sensitive fields
the user reads on a document, and which ones a save by the user changes. tests/http_api checks the same
matrix over HTTP."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import now_datetime

from loyalty_app.tests.http_fixtures import portal_user
from loyalty_app.tests.utils import as_user, customer_of, make_member, make_user, random_mobile
from loyalty_app.trust.permissions import GUEST, MEMBER, expected, load

LOYALTY_MEMBER = "Loyalty Member"


def role_users() -> dict[str, str]:
	"""One user per desk role of the matrix holding that role only (the member's own user is added by
	the test, linked to its member)."""
	users = {GUEST: "Guest"}
	for role in load()["roles"]:
		if role not in (GUEST, MEMBER):
			users[role] = make_user(f"_lp_matrix_{frappe.scrub(role)}@example.com", role)
	return users


def a_member(**profile) -> str:
	return make_member(member_name=f"Matrix {frappe.generate_hash(length=8)}", **profile)


def new_value(fieldname: str, role: str):
	"""A changed value for a sensitive field of a fresh member, saved by a user of the role."""
	values = {
		"mobile_no": random_mobile,
		"email": lambda: f"changed-{frappe.generate_hash(length=6)}@example.com",
		"user": lambda: make_user(f"_lp_matrix_portal_{frappe.scrub(role)}@example.com"),
		"mobile_masked": lambda: "+86 000****0000",
		"email_masked": lambda: "x*@y*.com",
		"customer": lambda: customer_of(a_member()),
		"status": lambda: "Frozen",
		"mobile_verified": lambda: 1,
		"mobile_verified_at": lambda: "2020-01-01 00:00:00",
		"mobile_verified_by": lambda: "Administrator",
		"marketing_consent": lambda: 1,
		"data_processing_consent": lambda: 1,
		"points_balance": lambda: 999_999,
		"lifetime_earned": lambda: 999_999,
		"points_debt": lambda: 999_999,
	}
	return values[fieldname]()


class TestPermissionMatrix(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.matrix = load()
		cls.users = role_users()
		cls.member = a_member(email="matrix@example.com")
		cls.users[MEMBER] = portal_user("_lp_matrix_member@example.com", cls.member)["user"]
		frappe.db.set_value(
			LOYALTY_MEMBER,
			cls.member,
			{
				"mobile_verified": 1,
				"mobile_verified_at": now_datetime(),
				"mobile_verified_by": "Administrator",
			},
		)

	def test_every_doctype_of_the_app_has_an_entry(self):
		modules = frappe.get_all("Module Def", filters={"app_name": "loyalty_app"}, pluck="name")
		ours = set(frappe.get_all("DocType", filters={"module": ("in", modules), "istable": 0}, pluck="name"))
		self.assertEqual(sorted(ours - self.matrix["doctypes"].keys()), [])
		self.assertEqual(sorted(self.matrix["doctypes"].keys() - ours), [])

	def test_each_role_has_exactly_the_permissions_of_the_matrix(self):
		table = {**self.matrix["doctypes"], **self.matrix["erpnext_doctypes"]}
		wrong = []
		for doctype, row in table.items():
			for role, letters in row.items():
				for ptype, allowed in expected(letters).items():
					if frappe.has_permission(doctype, ptype, user=self.users[role]) != allowed:
						wrong.append((doctype, role, ptype, allowed))
		self.assertEqual(wrong, [])

	def test_each_role_reads_exactly_the_sensitive_fields_of_the_matrix(self):
		wrong = []
		for doctype, fields in self.matrix["fields"].items():
			for role, user in self.users.items():
				readable = set(frappe.get_meta(doctype).get_permitted_fieldnames(user=user))
				reads_doctype = frappe.has_permission(doctype, "read", user=user)
				for fieldname, entry in fields.items():
					if (reads_doctype and fieldname in readable) != (role in entry["read"]):
						wrong.append((doctype, role, fieldname))
		self.assertEqual(wrong, [])
		for role, user in self.users.items():
			if not frappe.has_permission(LOYALTY_MEMBER, "read", user=user):
				continue
			with as_user(user):
				doc = frappe.get_doc(LOYALTY_MEMBER, self.member)
				doc.apply_fieldlevel_read_permissions()
				for fieldname, entry in self.matrix["fields"][LOYALTY_MEMBER].items():
					if (doc.get(fieldname) is not None) != (role in entry["read"]):
						wrong.append((role, fieldname, doc.get(fieldname)))
		self.assertEqual(wrong, [])

	def test_a_save_changes_a_sensitive_field_only_for_the_roles_of_the_matrix(self):
		wrong = []
		for role, user in self.users.items():
			if role in (GUEST, MEMBER):
				continue
			for fieldname, entry in self.matrix["fields"][LOYALTY_MEMBER].items():
				member = a_member()
				value = new_value(fieldname, role)
				before = frappe.db.get_value(LOYALTY_MEMBER, member, fieldname)
				with as_user(user):
					try:
						frappe.get_doc(LOYALTY_MEMBER, member).update({fieldname: value}).save()
					except (frappe.ValidationError, frappe.PermissionError, frappe.DuplicateEntryError):
						frappe.clear_messages()
				after = frappe.db.get_value(LOYALTY_MEMBER, member, fieldname)
				changed = str(after) != str(before) and str(after) == str(value)
				if changed != (role in entry["write"]):
					wrong.append((role, fieldname, before, after))
		self.assertEqual(wrong, [])
