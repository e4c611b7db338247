import frappe
import phonenumbers
from frappe import _
from frappe.model.document import Document


class LoyaltySettings(Document):
	def validate(self):
		if self.expiry_rule == "Months after earning" and (self.expiry_months or 0) <= 0:
			frappe.throw(_("Expiry Months must be at least 1"))
		if self.qualification_window == "Rolling months" and (self.qualification_months or 0) <= 0:
			frappe.throw(_("Qualification Months must be at least 1"))
		self.mobile_region = (self.mobile_region or "").upper()
		if self.mobile_region not in phonenumbers.SUPPORTED_REGIONS:
			frappe.throw(
				_("{0} is not a country code that mobile numbers can be read in").format(self.mobile_region)
			)
