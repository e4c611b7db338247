import frappe
from frappe.model.document import Document


class RiskSignal(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Risk Signal", ["signal_type", "value_hash"])
	frappe.db.add_index("Risk Signal", ["member"])
