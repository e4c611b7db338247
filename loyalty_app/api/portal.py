"""What a member may do from the website portal, always as their own membership."""

import frappe
from frappe import _


def session_member() -> str:
	member = (
		frappe.db.get_value("Loyalty Member", {"user": frappe.session.user})
		if frappe.session.user != "Guest"
		else None
	)
	if not member:
		frappe.throw(_("This login is not linked to a membership"), frappe.PermissionError)
	return member


@frappe.whitelist(methods=["POST"])
def redeem_reward(reward: str) -> dict:
	redemption = frappe.get_doc(
		{
			"doctype": "Reward Redemption",
			"member": session_member(),
			"reward": reward,
			"quantity": 1,
			"channel": "Web shop",
		}
	)
	redemption.insert(ignore_permissions=True)
	redemption.flags.ignore_permissions = True
	redemption.submit()
	return {"redemption": redemption.name, "points": redemption.points, "coupon_code": redemption.coupon_code}
