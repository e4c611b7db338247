"""Consent records: every grant or withdrawal of marketing or data-processing consent, with time, channel
and the version of the consent text the member saw. The member's flags hold the current state."""

import frappe
from frappe import _
from frappe.utils import now_datetime

MEMBER = "Loyalty Member"
CONSENT = "Member Consent"
CONSENT_FIELDS = {"marketing_consent": "Marketing", "data_processing_consent": "Data processing"}
CHANNEL_FLAG = "loyalty_consent_channel"


def record_changes(member, method=None) -> None:
	"""Loyalty Member on_update: a consent row for each consent set at enrolment or changed since."""
	new = bool(member.flags.in_insert)
	channel = frappe.flags.get(CHANNEL_FLAG) or (member.channel if new else "Desk")
	for fieldname, consent_type in CONSENT_FIELDS.items():
		if (new and member.get(fieldname)) or (not new and member.has_value_changed(fieldname)):
			_insert(
				member.name, consent_type, bool(member.get(fieldname)), channel, member.consent_text_version
			)


def stamp_times(member, method=None) -> None:
	"""Loyalty Member validate: when each consent was last given or withdrawn; the text version in force.
	After enrolment a consent changes only through set_consent (the member on the portal or through the
	integrator's `consent` call), never by ticking the box on someone else's behalf."""
	for fieldname in CONSENT_FIELDS:
		changed = member.get(fieldname) if member.is_new() else member.has_value_changed(fieldname)
		if not changed:
			continue
		if not member.is_new() and not frappe.flags.get(CHANNEL_FLAG):
			frappe.throw(
				_("Consent is given or withdrawn by the member (portal or consent API), not edited here"),
				frappe.PermissionError,
				title=_("Not permitted"),
			)
		member.set(f"{fieldname}_at", now_datetime())
	if not member.consent_text_version:
		member.consent_text_version = frappe.get_cached_doc("Loyalty Settings").get("consent_text_version")


def set_consent(
	member: str, consent_type: str, granted: bool, channel: str, text_version: str | None
) -> None:
	"""Give or withdraw one consent, e.g. from the API or the portal; recorded through the member's save."""
	fieldname = next(f for f, label in CONSENT_FIELDS.items() if label == consent_type)
	doc = frappe.get_doc(MEMBER, member)
	doc.set(fieldname, int(granted))
	if text_version:
		doc.consent_text_version = text_version
	frappe.flags[CHANNEL_FLAG] = channel
	try:
		doc.flags.ignore_permissions = True
		doc.save()
	finally:
		frappe.flags.pop(CHANNEL_FLAG, None)


def _insert(
	member: str, consent_type: str, granted: bool, channel: str | None, text_version: str | None
) -> None:
	frappe.get_doc(
		{
			"doctype": CONSENT,
			"member": member,
			"consent_type": consent_type,
			"granted": int(granted),
			"recorded_at": now_datetime(),
			"channel": channel,
			"text_version": text_version,
		}
	).insert(ignore_permissions=True)
