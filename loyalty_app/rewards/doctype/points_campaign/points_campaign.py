import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.rewards.services.campaigns import clear_campaign_cache


class PointsCampaign(Document):
	def validate(self):
		if self.campaign_type == "Double Points":
			if (self.multiplier or 0) <= 1:
				frappe.throw(_("A double points campaign needs a multiplier above 1"))
		elif not self.bonus_points and not self.referrer_points:
			frappe.throw(_("Enter the bonus points"))
		if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
			frappe.throw(_("Valid From must be on or before Valid To"))

	def on_update(self):
		clear_campaign_cache()

	def on_trash(self):
		clear_campaign_cache()
