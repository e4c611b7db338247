"""The member code a member shows at the till: `LMC.<member>.<expiry>.<nonce>.<signature>`, signed with an
HMAC keyed from the site's encryption key, valid for a short time (Channel Settings) and good for one
scan: the nonce is remembered in Redis until the code expires, so a photographed or replayed code is
refused. It never carries the mobile number."""

import base64
import hashlib
import hmac
import secrets
import time

import frappe
from frappe import _
from frappe.utils.password import get_encryption_key

PREFIX = "LMC"
MEMBER = "Loyalty Member"
DEFAULT_SECONDS = 90


class MemberCodeError(frappe.ValidationError):
	pass


def _signature(payload: str) -> str:
	key = hashlib.sha256(f"loyalty member code:{get_encryption_key()}".encode()).digest()
	digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
	return base64.urlsafe_b64encode(digest[:12]).decode()


def code_seconds() -> int:
	return frappe.db.get_single_value("Channel Settings", "member_code_seconds") or DEFAULT_SECONDS


def issue_member_code(member: str, now: float | None = None) -> dict:
	"""A fresh code for the member and how many seconds it stays valid."""
	seconds = code_seconds()
	expiry = int(now if now is not None else time.time()) + seconds
	payload = f"{PREFIX}.{member}.{expiry}.{secrets.token_hex(6)}"
	return {"code": f"{payload}.{_signature(payload)}", "expires_in": seconds}


def is_member_code(text: str | None) -> bool:
	return (text or "").strip().upper().startswith(f"{PREFIX}.")


def redeem_member_code(code: str, now: float | None = None) -> str:
	"""The member the code was issued to; refused when tampered with, expired or already scanned."""
	code = (code or "").strip()
	payload, _dot, signature = code.rpartition(".")
	parts = payload.split(".")
	if len(parts) != 4 or parts[0] != PREFIX or not parts[2].isdigit():
		frappe.throw(_("This is not a valid member code"), MemberCodeError)
	if not hmac.compare_digest(signature, _signature(payload)):
		frappe.throw(_("This is not a valid member code"), MemberCodeError)
	member, expiry, nonce = parts[1], int(parts[2]), parts[3]
	remaining = expiry - int(now if now is not None else time.time())
	if remaining < 0:
		frappe.throw(_("This member code has expired: ask the member to show a new one"), MemberCodeError)
	first_use = frappe.cache.set(
		frappe.cache.make_key(f"loyalty_member_code:{nonce}"), member, nx=True, ex=remaining + 1
	)
	if not first_use:
		frappe.throw(
			_("This member code was already used: ask the member to show a new one"), MemberCodeError
		)
	if not frappe.db.exists(MEMBER, member):
		frappe.throw(_("This is not a valid member code"), MemberCodeError)
	return frappe.db.get_value(MEMBER, member, "merged_into") or member
