import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.trust.services.risk import SHARED_RULES, clear_rule_cache


class RiskRule(Document):
	def validate(self):
		if (self.window_hours or 0) < 0 or any(
			(self.get(f) or 0) < 0 for f in ("max_points", "max_transactions", "max_members", "min_peers")
		):
			frappe.throw(_("Thresholds and the window cannot be negative"))
		if self.rule_type == "Earning velocity" and not (self.max_points or self.max_transactions):
			frappe.throw(_("Set Max Points or Max Transactions for an earning velocity rule"))
		if self.rule_type == "Manual adjustment above limit" and not self.max_points:
			frappe.throw(_("Set Max Points for a manual adjustment rule"))
		if self.rule_type in SHARED_RULES and not self.max_members:
			frappe.throw(_("Set Max Members Sharing for this rule"))

	def on_change(self):
		clear_rule_cache()

	def on_trash(self):
		clear_rule_cache()
