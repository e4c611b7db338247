import frappe
from frappe import _
from frappe.model.document import Document


class MembershipTier(Document):
	def validate(self):
		if self.retention_threshold and self.retention_threshold > self.entry_threshold:
			frappe.throw(_("The retention threshold cannot be higher than the entry threshold"))
		if not self.earn_multiplier and self.earn_multiplier != 0:
			self.earn_multiplier = 1
