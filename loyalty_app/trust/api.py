"""Whitelisted calls of the Trust module for the desk and the member portal."""

import frappe
from frappe import _

from loyalty_app.trust.services import privacy, review

MEMBER = "Loyalty Member"


@frappe.whitelist(methods=["POST"])
def decide_alert(alert: str, decision: str, note: str | None = None) -> str:
	"""Approve, Reject, Release or Dismiss a Risk Alert (Loyalty Manager)."""
	return review.decide(alert, decision, note)


@frappe.whitelist(methods=["GET"])
def download_member_data(member: str) -> None:
	"""All of a member's data as a JSON file: Loyalty Manager, or the member themself."""
	_send(member, privacy.export_member_data(member))


@frappe.whitelist(methods=["GET"])
def download_my_data() -> None:
	"""The logged-in member's own data as a JSON file (portal)."""
	member = (
		frappe.db.get_value(MEMBER, {"user": frappe.session.user}) if frappe.session.user != "Guest" else None
	)
	if not member:
		frappe.throw(_("You are not a loyalty member"), frappe.PermissionError)
	_send(member, privacy.export_member_data(member))


@frappe.whitelist(methods=["POST"])
def erase_member(member: str, reason: str | None = None) -> None:
	"""Anonymise a member's personal data (Loyalty Manager); points and accounting stay as they are."""
	privacy.erase_member(member, reason)


def _send(member: str, text: str) -> None:
	frappe.local.response.update(
		{
			"type": "download",
			"filename": f"loyalty-data-{member}.json",
			"filecontent": text,
			"content_type": "application/json",
		}
	)
