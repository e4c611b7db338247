import frappe
from frappe import _
from frappe.model.document import Document


class OutreachSettings(Document):
	def validate(self):
		if self.frequency_cap_messages and not self.frequency_cap_days:
			frappe.throw(_("Set the number of days the frequency cap counts over"))
