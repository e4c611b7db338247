"""What a member may do from the website portal, always as their own membership."""

import frappe
from frappe import _

from loyalty_app.api.v1 import member_summary
from loyalty_app.loyalty.services.members import enrol_website_user


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


@frappe.whitelist(methods=["POST"])
def join(mobile_no: str, member_name: str) -> dict:
	"""Portal sign-up: the logged-in website user becomes a member (their own membership if they are one)."""
	if frappe.session.user == "Guest":
		frappe.throw(_("Log in to join"), frappe.PermissionError)
	if not (member_name or "").strip():
		frappe.throw(_("Give the member's name"))
	member = enrol_website_user(frappe.session.user, mobile_no, member_name.strip())
	return member_summary(member.name, caller_gave_mobile=True)
