"""Audit logs written once by a service: no one edits or deletes them afterwards."""

import frappe
from frappe import _
from frappe.model.document import Document


class ImmutableLog(Document):
	def validate(self):
		if not self.is_new():
			frappe.throw(_("{0} is a log and cannot be changed").format(_(self.doctype)))

	def on_trash(self):
		frappe.throw(_("{0} is a log and cannot be deleted").format(_(self.doctype)))
