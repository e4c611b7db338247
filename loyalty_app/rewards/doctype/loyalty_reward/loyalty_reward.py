import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.rewards.services.redemption import STOCK_TYPES, stock_available


class LoyaltyReward(Document):
	@property
	def stock_available(self) -> float | None:
		if self.reward_type in STOCK_TYPES and self.item and self.source_warehouse:
			return stock_available(self.item, self.source_warehouse)
		return None

	def validate(self):
		if self.reward_type in STOCK_TYPES and not (self.item and self.source_warehouse):
			frappe.throw(_("A {0} reward needs an item and a source warehouse").format(_(self.reward_type)))
		if self.reward_type in STOCK_TYPES and not frappe.get_cached_value(
			"Item", self.item, "is_stock_item"
		):
			frappe.throw(_("Item {0} is not a stock item").format(self.item))
		if self.reward_type == "Coupon" and not self.coupon_campaign:
			frappe.throw(_("A coupon reward needs a Coupon Campaign"))
		if self.reward_type == "Points + Cash" and not self.cash_amount:
			frappe.throw(_("Enter the cash amount of a Points + Cash reward"))
		if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
			frappe.throw(_("Valid From must be on or before Valid To"))
