"""Desk and portal methods of the channels module: the member code, guide QR codes and reassignment."""

import frappe

from loyalty_app.api.portal import session_member
from loyalty_app.channels.services import guides, member_code
from loyalty_app.channels.services.qr import qr_svg


@frappe.whitelist(methods=["GET", "POST"])
def my_member_code() -> dict:
	"""A fresh member code for the logged-in member, with its QR code as SVG."""
	issued = member_code.issue_member_code(session_member())
	return {**issued, "svg": qr_svg(issued["code"])}


@frappe.whitelist(methods=["POST"])
def reassign_guide(member: str, sales_person: str | None = None, reason: str | None = None) -> None:
	"""Loyalty Manager: give the member another shopping guide (or none), with the reason."""
	guides.reassign_guide(member, sales_person, reason or "")


@frappe.whitelist(methods=["GET"])
def guide_qr_code(sales_person: str) -> dict:
	"""The guide's enrolment link and its QR code, for whoever may read the Sales Person."""
	frappe.has_permission("Sales Person", "read", sales_person, throw=True)
	link = guides.guide_link(sales_person)
	return {"link": link, "svg": qr_svg(link)}
