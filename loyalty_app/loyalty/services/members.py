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


class CustomerChoiceNeededError(frappe.ValidationError):
	"""More than one Customer has the mobile number: the caller must choose one (`customer`)."""


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


def customers_with_mobile(mobile_no: str) -> list[dict]:
	"""Enabled Customers whose own mobile number or a linked Contact's phone is this number, in any format.

	Digits are compared in SQL (a suffix match on the national number finds "139 1234 5678",
	"+86-139..." and "0086139..."), then each hit is normalised so only the same number counts.
	"""
	mobile = normalize_mobile(mobile_no)
	national = str(phonenumbers.parse(mobile).national_number)
	digits_end_with = f"%{national}"
	rows = frappe.db.sql(
		"""
		select c.name, c.customer_name, c.mobile_no as phone
		from `tabCustomer` c
		where c.disabled = 0 and c.mobile_no is not null
			and regexp_replace(c.mobile_no, '[^0-9]', '') like %(digits)s
		union all
		select c.name, c.customer_name, p.phone
		from `tabContact Phone` p
		join `tabDynamic Link` l on l.parenttype = 'Contact' and l.parent = p.parent
			and l.link_doctype = 'Customer'
		join `tabCustomer` c on c.name = l.link_name and c.disabled = 0
		where p.parenttype = 'Contact' and regexp_replace(p.phone, '[^0-9]', '') like %(digits)s
		""",
		{"digits": digits_end_with},
		as_dict=True,
	)
	found = {}
	for row in rows:
		if parse_mobile(row.phone) == mobile:
			found.setdefault(row.name, {"customer": row.name, "customer_name": row.customer_name})
	return sorted(found.values(), key=lambda c: c["customer"])


def customer_for_mobile(mobile_no: str, chosen: str | None = None) -> str | None:
	"""Which Customer is this mobile number: the only one that has it, the caller's choice among several
	(`chosen`, which must be one of them), or None when no Customer has it.

	Every enrolment surface (desk, POS, API, portal) asks this before a new Customer is created.
	"""
	candidates = [c["customer"] for c in customers_with_mobile(mobile_no)]
	if chosen:
		if chosen not in candidates:
			frappe.throw(
				_("Customer {0} does not have mobile number {1}").format(frappe.bold(chosen), mobile_no),
				CustomerChoiceNeededError,
			)
		return chosen
	if len(candidates) > 1:
		frappe.throw(
			_("More than one customer has mobile number {0}: {1}. Choose the customer to enrol.").format(
				mobile_no, ", ".join(candidates)
			),
			CustomerChoiceNeededError,
		)
	return candidates[0] if candidates else None


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

	A new member is linked to the Customer that has the mobile number (see `customer_for_mobile`; a
	`customer` in `profile` is taken as given) and a Customer is created only when none has it.
	`ignore_permissions` is for callers that checked the caller's right to enrol themselves (the API).
	"""
	if existing := member_by_mobile(mobile_no):
		return frappe.get_doc(MEMBER, existing)
	member = frappe.get_doc(
		{"doctype": MEMBER, "mobile_no": mobile_no, "member_name": member_name, **profile}
	)
	member.insert(ignore_permissions=ignore_permissions)
	return member


def enrol_website_user(user: str, mobile_no: str, member_name: str) -> "frappe.model.document.Document":
	"""Portal sign-up: the website user enrols themselves; their own membership if they have one.

	An existing Customer is linked only when it is provably theirs (the user's email is on it or on its
	Contact): a mobile number typed on the web is unverified, so it never claims someone else's member,
	Customer or purchase history, and the refusal does not say whose it is.
	"""
	if mine := frappe.db.get_value(MEMBER, {"user": user}):
		return frappe.get_doc(MEMBER, mine)
	claim_refused = _(
		"This mobile number is already known to us: please enrol at a store, where we can check it is yours"
	)
	if member_by_mobile(mobile_no):
		frappe.throw(claim_refused, frappe.PermissionError)
	own_customers = customers_with_email(user)
	try:
		customer = customer_for_mobile(mobile_no)
	except CustomerChoiceNeededError:
		frappe.throw(claim_refused, frappe.PermissionError)
	if customer and customer not in own_customers:
		frappe.throw(claim_refused, frappe.PermissionError)
	if not customer and len(own_customers) == 1:
		customer = own_customers[0]
	return enrol(
		mobile_no,
		member_name,
		ignore_permissions=True,
		user=user,
		email=user,
		channel="Web shop",
		customer=customer,
	)


def customers_with_email(email: str) -> list[str]:
	"""Enabled Customers with this email address on the Customer or on a linked Contact."""
	rows = frappe.db.sql(
		"""
		select name from `tabCustomer` where disabled = 0 and email_id = %(email)s
		union
		select c.name
		from `tabContact Email` e
		join `tabDynamic Link` l on l.parenttype = 'Contact' and l.parent = e.parent
			and l.link_doctype = 'Customer'
		join `tabCustomer` c on c.name = l.link_name and c.disabled = 0
		where e.parenttype = 'Contact' and e.email_id = %(email)s
		""",
		{"email": email},
	)
	return sorted(row[0] for row in rows)


def new_customer_group_and_territory() -> tuple[str, str]:
	"""Where a member's new ERPNext Customer goes: Selling Settings' defaults, else the first leaf."""
	selling = frappe.get_cached_doc("Selling Settings")
	return (
		selling.customer_group or frappe.db.get_value("Customer Group", {"is_group": 0}),
		selling.territory or frappe.db.get_value("Territory", {"is_group": 0}),
	)


def create_customer_for(member) -> str:
	"""The member's ERPNext Customer: their name only. The mobile and email stay on the member (permlevel 2,
	managers only); a copy on the Customer and the Contact ERPNext would make from it is readable by every
	Sales User. The POS finds members by mobile through the loyalty panel, which asks the member."""
	customer_group, territory = new_customer_group_and_territory()
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": member.member_name,
			"customer_type": "Individual",
			"customer_group": customer_group,
			"territory": territory,
		}
	)
	customer.insert(ignore_permissions=True)
	return customer.name


def new_referral_code() -> str:
	return new_referral_codes(1)[0]


def new_referral_codes(count: int) -> list[str]:
	"""`count` distinct referral codes no member has yet (8 of 32 characters: collisions are rare)."""
	codes: set[str] = set()
	while len(codes) < count:
		wanted = {
			"".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8)) for _ in range(count - len(codes))
		}
		taken = frappe.db.sql_list(
			f"select referral_code from `tab{MEMBER}` where referral_code in %s", (tuple(wanted),)
		)
		codes |= wanted - set(taken)
	return sorted(codes)


def birthday_condition(day: date, *, whole_month: bool = False) -> str:
	"""SQL on `m` (Loyalty Member): members whose birthday `day` celebrates (their month, if `whole_month`)."""
	if whole_month:
		return f"month(m.birthday) = {day.month:d}"
	return " or ".join(
		f"(month(m.birthday) = {month:d} and day(m.birthday) = {dom:d})"
		for month, dom in celebrated_birthdays(day)
	)
