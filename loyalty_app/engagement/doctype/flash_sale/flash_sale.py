import frappe
from frappe.model.document import Document

from loyalty_app.engagement.services import flash


class FlashSale(Document):
	def validate(self):
		flash.validate(self)


@frappe.whitelist(methods=["POST"])
def redeem_for_member(sale_name: str, member: str) -> str:
	"""Desk: a clerk redeems the flash sale's reward for a member (the member pays its points)."""
	frappe.has_permission("Reward Redemption", "create", throw=True)
	return flash.redeem(sale_name, member, key=frappe.generate_hash(length=20))
