import frappe
from frappe import _

from loyalty_app.api.v1 import member_summary
from loyalty_app.engagement import portal as engagement_portal
from loyalty_app.rewards.services.redemption import can_take

no_cache = 1


def get_context(context):
	if frappe.session.user == "Guest":
		frappe.local.flags.redirect_location = "/login?redirect-to=/my-membership"
		raise frappe.Redirect
	member = frappe.db.get_value("Loyalty Member", {"user": frappe.session.user})
	context.no_cache = 1
	context.title = _("My Membership")
	context.show_sidebar = True
	if not member:
		context.member = None
		return context
	context.member = member_summary(member)
	context.ledger = frappe.get_all(
		"Points Ledger Entry",
		filters={"member": member},
		fields=["posting_datetime", "entry_type", "points", "expiry_date", "remarks"],
		order_by="posting_datetime desc, creation desc",
		limit=50,
	)
	context.rewards = []
	for name in frappe.get_all(
		"Loyalty Reward", filters={"active": 1}, pluck="name", order_by="points_cost asc"
	):
		reward = frappe.get_doc("Loyalty Reward", name)
		answer = can_take(reward, member)
		context.rewards.append(
			{
				"name": reward.name,
				"reward_type": reward.reward_type,
				"points_cost": reward.points_cost,
				"cash_amount": reward.cash_amount,
				"image": reward.image,
				"can_redeem": answer.allowed,
				"reason": answer.reason,
				"reason_message": answer.message,
			}
		)
	context.update(engagement_portal.page_context(member))
	context.groups = frappe.get_all(
		"Community Membership",
		filters={"member": member, "status": "Active"},
		fields=["community_group", "role", "joined_on"],
	)
	return context
