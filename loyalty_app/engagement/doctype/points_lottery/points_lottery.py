import frappe
from frappe.model.document import Document

from loyalty_app.engagement.services import lottery


class PointsLottery(Document):
	def validate(self):
		lottery.validate(self)


@frappe.whitelist(methods=["POST"])
def enter_for_member(lottery_name: str, member: str) -> dict:
	"""Desk: a clerk enters a member into the lottery (the member pays the entry in points)."""
	frappe.has_permission("Loyalty Member", "read", member, throw=True)
	frappe.has_permission("Lottery Draw", "read", throw=True)
	return lottery.draw_result(lottery.enter(lottery_name, member, key=frappe.generate_hash(length=20)))
