"""Whitelisted methods for the store clerk's loyalty panel on ERPNext's Point of Sale page.

Called from public/js/pos_loyalty.js as `loyalty_app.api.pos.<name>` by a logged-in desk user with the
Loyalty User, Loyalty Manager or System Manager role. Reads are GET, writes POST.
"""

import frappe
from frappe import _
from frappe.utils import getdate

from loyalty_app.api.v1 import member_summary
from loyalty_app.channels.services.guides import guide_new_member
from loyalty_app.channels.services.member_code import is_member_code, redeem_member_code
from loyalty_app.engagement.services import member_days
from loyalty_app.loyalty.services.members import (
	CustomerChoiceNeededError,
	customer_for_mobile,
	customers_with_mobile,
	member_for_customer,
	mobile_in,
)
from loyalty_app.loyalty.services.members import enrol as enrol_member
from loyalty_app.loyalty.services.settings import get_settings
from loyalty_app.trust.services.members import mark_mobile_verified

CLERK_ROLES = {"Loyalty User", "Loyalty Manager", "System Manager"}
MEMBER = "Loyalty Member"


def _check_clerk() -> None:
	if not CLERK_ROLES & set(frappe.get_roles()):
		frappe.throw(_("Only loyalty staff can use the loyalty panel"), frappe.PermissionError)


def _summary(member: str, typed_mobile: bool = False) -> dict:
	"""The member's summary; the clerk sees the mobile number in full only when they typed it."""
	summary = member_summary(member, caller_gave_mobile=typed_mobile)
	summary["customer"] = frappe.db.get_value(MEMBER, member, "customer")
	summary["point_value"] = float(get_settings().point_value)
	summary["member_days"] = member_days.invoice_marker(summary["tier"], getdate())
	return summary


def _find(query: str) -> str | None:
	query = (query or "").strip()
	if not query:
		return None
	if is_member_code(query):
		return redeem_member_code(query)
	if mobile := mobile_in(query):
		if found := frappe.db.get_value(MEMBER, {"mobile_no": mobile}):
			return found
	if frappe.db.exists(MEMBER, query):
		return query
	if found := frappe.db.get_value(MEMBER, {"name": query.upper()}):
		return found
	if found := member_for_customer(frappe.db.exists("Customer", query) or None):
		return found
	customer = frappe.db.get_value("Customer", {"customer_name": query})
	return member_for_customer(customer)


@frappe.whitelist(methods=["GET", "POST"])
def lookup(query: str) -> dict | None:
	"""A member by the member code shown on their phone (single use), mobile number (any format), member
	ID (LM-00001) or customer name/ID; None if unknown. An expired or used member code is refused."""
	_check_clerk()
	member = _find(query)
	if not member:
		return None
	typed = frappe.db.get_value(MEMBER, member, "mobile_no") == mobile_in(query)
	return _summary(member, typed_mobile=typed)


@frappe.whitelist(methods=["POST"])
def enrol(
	mobile_no: str, member_name: str, shopping_guide: str | None = None, customer: str | None = None
) -> dict:
	"""Enrol a member at the till (idempotent by mobile number), with the guide who served them, and
	return the summary.

	The member is linked to the existing Customer with this mobile number; when several have it the
	answer is `{"choose_customer": [{"customer", "customer_name"}, ...]}` and the clerk calls again with
	the chosen `customer`.
	"""
	_check_clerk()
	if not (member_name or "").strip():
		frappe.throw(_("Give the member's name"))
	chosen = customer_for_mobile(mobile_no, chosen=customer) if customer else None
	try:
		member = enrol_member(
			mobile_no, member_name.strip(), ignore_permissions=True, channel="Store", customer=chosen
		)
	except CustomerChoiceNeededError:
		frappe.local.message_log = []
		return {"choose_customer": customers_with_mobile(mobile_no)}
	guide_new_member(member.name, shopping_guide or None)
	return _summary(member.name, typed_mobile=True)


@frappe.whitelist(methods=["GET", "POST"])
def for_customer(customer: str) -> dict | None:
	"""The summary of the member linked to this customer, or None."""
	_check_clerk()
	member = member_for_customer(customer)
	return _summary(member) if member else None


@frappe.whitelist(methods=["POST"])
def verify_mobile(member: str) -> dict:
	"""The clerk saw the customer and their phone: mark the mobile number verified."""
	_check_clerk()
	if not frappe.db.exists(MEMBER, member):
		frappe.throw(_("Loyalty Member {0} does not exist").format(member), frappe.DoesNotExistError)
	mark_mobile_verified(member, "Store")
	return _summary(member)
