"""Every break of the ledger's conservation rules, for all members and documents (none on a healthy ledger)."""

from frappe import _

from loyalty_app.loyalty.services.audit import find_breaks


def execute(filters: dict | None = None) -> tuple[list, list]:
	return columns(), [
		{
			"rule": found.rule,
			"description": found.describe(),
			"member": found.member,
			"document": found.document,
			"expected": found.expected,
			"actual": found.actual,
		}
		for found in find_breaks()
	]


def columns() -> list[dict]:
	return [
		{"fieldname": "rule", "label": _("Rule"), "fieldtype": "Data", "width": 90},
		{"fieldname": "description", "label": _("Break"), "fieldtype": "Data", "width": 420},
		{
			"fieldname": "member",
			"label": _("Member"),
			"fieldtype": "Link",
			"options": "Loyalty Member",
			"width": 140,
		},
		{"fieldname": "document", "label": _("Document"), "fieldtype": "Data", "width": 220},
		{"fieldname": "expected", "label": _("Expected"), "fieldtype": "Int", "width": 100},
		{"fieldname": "actual", "label": _("Actual"), "fieldtype": "Int", "width": 100},
	]
