"""Least exposure of personal data: masking of mobile numbers for staff and integrators."""

import phonenumbers


def mask_mobile(mobile: str | None) -> str | None:
	"""+8613912345678 -> +86 139****5678: country code, first three and last four digits kept.

	Shorter national numbers keep only their last two digits; text that is no E.164 number is masked
	the same way over its digits, so nothing but a few digits ever shows.
	"""
	if not mobile:
		return mobile
	try:
		number = phonenumbers.parse(mobile, None)
	except phonenumbers.NumberParseException:
		return _mask("", "".join(ch for ch in mobile if ch.isdigit()))
	return mask_number(number)


def mask_number(number: phonenumbers.PhoneNumber) -> str:
	"""mask_mobile for a number already parsed."""
	return _mask(f"+{number.country_code} ", str(number.national_number))


def _mask(prefix: str, national: str) -> str:
	if len(national) >= 8:
		return f"{prefix}{national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"
	return f"{prefix}{'*' * max(len(national) - 2, 0)}{national[-2:]}"


def mask_email(email: str | None) -> str | None:
	"""li.wei@example.com -> l*****@e******.com: the first letter of the name and of the host and the
	top-level domain kept; text without an @ is starred out whole."""
	if not email:
		return email
	local, at, domain = email.rpartition("@")
	if not at:
		return "*" * len(email)
	host, dot, tld = domain.rpartition(".")
	if not dot:
		host, tld = domain, ""
	return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{host[:1]}{'*' * max(len(host) - 1, 1)}{dot}{tld}"
