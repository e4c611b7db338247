import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.loyalty.services.tiers import TIERS_CACHE_KEY
from loyalty_app.utils import drop_cached


class MembershipTier(Document):
	def validate(self):
		if self.retention_threshold and self.retention_threshold > self.entry_threshold:
			frappe.throw(_("The retention threshold cannot be higher than the entry threshold"))
		if not self.earn_multiplier and self.earn_multiplier != 0:
			self.earn_multiplier = 1

	def on_change(self):
		clear_tier_cache()

	def on_trash(self):
		clear_tier_cache()


def clear_tier_cache():
	drop_cached(TIERS_CACHE_KEY)
