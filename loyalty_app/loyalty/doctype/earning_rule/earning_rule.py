import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate

from loyalty_app.loyalty.services.sales import RULES_CACHE_KEY, recurrence_of
from loyalty_app.utils import drop_cached


class EarningRule(Document):
	def validate(self):
		if self.valid_from and self.valid_to and getdate(self.valid_from) > getdate(self.valid_to):
			frappe.throw(_("Valid From must be on or before Valid To"))
		if self.excludes and (self.override_rate or (self.multiplier or 1) != 1):
			frappe.throw(_("An excluding rule earns nothing, so it cannot also set a rate or multiplier"))
		try:
			recurrence_of(self)
		except ValueError:
			frappe.throw(_("Set a day of the month from 1 to 31, or a weekday, for a repeating rule"))

	def on_change(self):
		clear_rule_cache()

	def on_trash(self):
		clear_rule_cache()


def clear_rule_cache():
	drop_cached(RULES_CACHE_KEY)
