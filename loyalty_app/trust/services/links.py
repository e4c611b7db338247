"""Where a member's records live: every DocType field (standard or custom) that links to Loyalty Member."""

import frappe

MEMBER = "Loyalty Member"


def member_link_fields() -> list[tuple[str, str]]:
	"""(doctype, fieldname) of every Link to Loyalty Member in a table-backed DocType."""
	standard = frappe.get_all(
		"DocField", filters={"fieldtype": "Link", "options": MEMBER}, fields=["parent", "fieldname"]
	)
	custom = frappe.get_all(
		"Custom Field", filters={"fieldtype": "Link", "options": MEMBER}, fields=["dt as parent", "fieldname"]
	)
	singles = set(frappe.get_all("DocType", filters={"issingle": 1}, pluck="name"))
	return sorted({(row.parent, row.fieldname) for row in standard + custom if row.parent not in singles})
