import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.rewards.services import redemption


class RewardRedemption(Document):
	def validate(self):
		if (self.quantity or 0) < 1:
			frappe.throw(_("Quantity must be at least 1"))
		reward = frappe.get_cached_doc("Loyalty Reward", self.reward)
		# a service giving the reward as a gift or prize (engagement) sets free_of_points
		self.points = 0 if self.flags.free_of_points else (reward.points_cost or 0) * self.quantity
		self.cash_amount = (
			(reward.cash_amount or 0) * self.quantity if reward.reward_type == "Points + Cash" else 0
		)
		warehouse = self.store or reward.source_warehouse
		if not self.company:
			self.company = (
				frappe.get_cached_value("Warehouse", warehouse, "company")
				if warehouse
				else frappe.defaults.get_user_default("Company")
			)

	def on_submit(self):
		redemption.redeem(self)

	def before_cancel(self):
		redemption.check_cancellable(self)

	def on_cancel(self):
		self.ignore_linked_doctypes = ("Points Ledger Entry", "Stock Entry", "Sales Invoice")
		redemption.cancel(self)
