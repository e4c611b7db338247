"""Enrolment and look-up of members: one member per mobile number and per ERPNext Customer."""

import re
import secrets
from datetime import date

import frappe
import phonenumbers
from frappe import _

from loyalty_app.engine.birthdays import celebrated_birthdays
from loyalty_app.loyalty.services.settings import get_settings

MEMBER = "Loyalty Member"
REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MOBILE_LIKE = re.compile(r"^\+?[\d\s().-]{5,}$")


class InvalidMobileError(frappe.ValidationError):
	pass


def normalize_mobile(raw: str, region: str | None = None) -> str:
	"""A mobile number in E.164 form (+8613800138000); numbers without + are read in `region`."""
	text = (raw or "").strip()
	if not (mobile := parse_mobile(text, region)):
		frappe.throw(_("{0} is not a valid mobile number").format(frappe.bold(text)), InvalidMobileError)
	return mobile


def mobile_in(query: str | None) -> str | None:
	"""The search text as a mobile number in E.164 form when it is one, else None (no error shown)."""
	text = (query or "").strip()
	return parse_mobile(text) if MOBILE_LIKE.match(text) else None


def parse_mobile(text: str, region: str | None = None) -> str | None:
	number = parse_mobile_number(text, region)
	return e164(number) if number else None


def parse_mobile_number(text: str, region: str | None = None) -> phonenumbers.PhoneNumber | None:
	"""The text as a valid phone number; without a leading + it is read as a number of `region`."""
	try:
		number = phonenumbers.parse(text, region or get_settings().mobile_region)
	except phonenumbers.NumberParseException:
		return None
	return number if phonenumbers.is_valid_number(number) else None


def e164(number: phonenumbers.PhoneNumber) -> str:
	return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def member_by_mobile(mobile_no: str) -> str | None:
	return frappe.db.get_value(MEMBER, {"mobile_no": normalize_mobile(mobile_no)})


def member_for_customer(customer: str | None) -> str | None:
	"""The customer's member, or the member it was merged into (a merge keeps the duplicate's customer)."""
	if not customer:
		return None
	row = frappe.db.get_value(MEMBER, {"customer": customer}, ["name", "merged_into"], as_dict=True)
	return (row.merged_into or row.name) if row else None


def surviving_member(member: str) -> str:
	"""The member itself, or the one it was merged into (a merge repoints earlier merges to the survivor)."""
	return frappe.db.get_value(MEMBER, member, "merged_into") or member


def enrol(
	mobile_no: str, member_name: str, ignore_permissions: bool = False, **profile
) -> "frappe.model.document.Document":
	"""Enrol a member, idempotent by mobile number: an existing member is returned unchanged.

	`ignore_permissions` is for callers that checked the caller's right to enrol themselves (the API).
	"""
	if existing := member_by_mobile(mobile_no):
		return frappe.get_doc(MEMBER, existing)
	member = frappe.get_doc(
		{"doctype": MEMBER, "mobile_no": mobile_no, "member_name": member_name, **profile}
	)
	member.insert(ignore_permissions=ignore_permissions)
	return member


def new_customer_group_and_territory() -> tuple[str, str]:
	"""Where a member's new ERPNext Customer goes: Selling Settings' defaults, else the first leaf."""
	selling = frappe.get_cached_doc("Selling Settings")
	return (
		selling.customer_group or frappe.db.get_value("Customer Group", {"is_group": 0}),
		selling.territory or frappe.db.get_value("Territory", {"is_group": 0}),
	)


def create_customer_for(member) -> str:
	customer_group, territory = new_customer_group_and_territory()
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": member.member_name,
			"customer_type": "Individual",
			"customer_group": customer_group,
			"territory": territory,
			"mobile_no": member.mobile_no,
			"email_id": member.email,
		}
	)
	customer.insert(ignore_permissions=True)
	return customer.name


def new_referral_code() -> str:
	while True:
		code = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8))
		if not frappe.db.exists(MEMBER, {"referral_code": code}):
			return code


def birthday_condition(day: date, *, whole_month: bool = False) -> str:
	"""SQL on `m` (Loyalty Member): members whose birthday `day` celebrates (their month, if `whole_month`)."""
	if whole_month:
		return f"month(m.birthday) = {day.month:d}"
	return " or ".join(
		f"(month(m.birthday) = {month:d} and day(m.birthday) = {dom:d})"
		for month, dom in celebrated_birthdays(day)
	)
