import frappe
from frappe.model.document import Document


class MessageLog(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Message Log", ["status", "scheduled_for"])
	frappe.db.add_index("Message Log", ["member", "sent_at"])
