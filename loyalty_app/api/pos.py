"""Whitelisted methods for the store clerk's loyalty panel on ERPNext's Point of Sale page.

Called from public/js/pos_loyalty.js as `loyalty_app.api.pos.<name>` by a logged-in desk user with the
Loyalty User, Loyalty Manager or System Manager role. Reads are GET, writes POST.
"""

import re

import frappe
from frappe import _

from loyalty_app.api.v1 import member_summary
from loyalty_app.loyalty.services.members import InvalidMobileError, member_by_mobile, member_for_customer
from loyalty_app.loyalty.services.members import enrol as enrol_member
from loyalty_app.loyalty.services.settings import get_settings

CLERK_ROLES = {"Loyalty User", "Loyalty Manager", "System Manager"}
MEMBER = "Loyalty Member"
MOBILE_LIKE = re.compile(r"^\+?[\d\s().-]{5,}$")


def _check_clerk() -> None:
	if not CLERK_ROLES & set(frappe.get_roles()):
		frappe.throw(_("Only loyalty staff can use the loyalty panel"), frappe.PermissionError)


def _summary(member: str) -> dict:
	summary = member_summary(member)
	summary["customer"] = frappe.db.get_value(MEMBER, member, "customer")
	summary["point_value"] = float(get_settings().point_value)
	return summary


def _find(query: str) -> str | None:
	query = (query or "").strip()
	if not query:
		return None
	if MOBILE_LIKE.match(query):
		messages = len(frappe.local.message_log or [])
		try:
			if found := member_by_mobile(query):
				return found
		except InvalidMobileError:
			# not a mobile number after all: drop the message frappe.throw queued for the client
			del frappe.local.message_log[messages:]
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
	"""A member by mobile number (any format), member code (LM-00001) or customer name/ID; None if unknown."""
	_check_clerk()
	member = _find(query)
	return _summary(member) if member else None


@frappe.whitelist(methods=["POST"])
def enrol(mobile_no: str, member_name: str) -> dict:
	"""Enrol a member at the till (idempotent by mobile number) and return the summary."""
	_check_clerk()
	if not (member_name or "").strip():
		frappe.throw(_("Give the member's name"))
	member = enrol_member(mobile_no, member_name.strip(), ignore_permissions=True, channel="Store")
	return _summary(member.name)


@frappe.whitelist(methods=["GET", "POST"])
def for_customer(customer: str) -> dict | None:
	"""The summary of the member linked to this customer, or None."""
	_check_clerk()
	member = member_for_customer(customer)
	return _summary(member) if member else None
