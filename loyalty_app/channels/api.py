"""Desk and portal methods of the channels module: the member code and guide reassignment."""

import frappe

from loyalty_app.api.portal import session_member
from loyalty_app.channels.services import guides, member_code


@frappe.whitelist(methods=["GET", "POST"])
def my_member_code() -> dict:
	"""A fresh member code for the logged-in member, with its QR code as SVG."""
	issued = member_code.issue_member_code(session_member())
	return {**issued, "svg": member_code.qr_svg(issued["code"])}


@frappe.whitelist(methods=["POST"])
def reassign_guide(member: str, sales_person: str | None = None, reason: str | None = None) -> None:
	"""Loyalty Manager: give the member another shopping guide (or none), with the reason."""
	guides.reassign_guide(member, sales_person, reason or "")
