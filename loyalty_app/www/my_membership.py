import frappe
from frappe import _

from loyalty_app.api.v1 import member_summary
from loyalty_app.engagement import portal as engagement_portal

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
	redeemable = context.member["redeemable_points"]
	context.rewards = [
		{**reward, "affordable": reward.points_cost <= redeemable}
		for reward in frappe.get_all(
			"Loyalty Reward",
			filters={"active": 1},
			fields=["name", "reward_type", "points_cost", "cash_amount", "image"],
			order_by="points_cost asc",
		)
	]
	context.update(engagement_portal.page_context(member))
	context.groups = frappe.get_all(
		"Community Membership",
		filters={"member": member, "status": "Active"},
		fields=["community_group", "role", "joined_on"],
	)
	return context
