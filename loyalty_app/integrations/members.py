"""Loyalty Member events: what an enrolment or a profile change sets in motion, in the order it runs.

Risk before reward: an enrolment is checked by the risk rules first; its gifts (sign-up bonus, welcome
pack points, coupons and free gift with its stock issue, profile-completion bonus) are given only to a
member the check left active. A member held or frozen by the check gets them when a Loyalty Manager
approves the enrolment alert or releases the member, and never when the alert is rejected.
"""

import frappe

from loyalty_app.engagement.services import welcome
from loyalty_app.outreach.services import triggers
from loyalty_app.rewards.services import campaigns
from loyalty_app.trust.services import consent, risk
from loyalty_app.trust.services import members as member_records

MEMBER = "Loyalty Member"


def on_validate(member, method=None) -> None:
	member_records.on_validate(member)
	consent.stamp_times(member)
	campaigns.validate_referral(member)


def on_update(member, method=None) -> None:
	enrolling = bool(member.flags.in_insert)
	consent.record_changes(member)
	risk.check_enrolment(member)
	if enrolling:
		if _is_active(member.name):
			give_enrolment_gifts(member)
		triggers.on_member_enrolled(member)
	elif _is_active(member.name):
		campaigns.on_profile_saved(member)


def on_alert_decided(alert, method=None) -> None:
	"""Risk Alert on_update: an approved or released enrolment gets the gifts it waited for."""
	if alert.event != "Enrolment" or not alert.has_value_changed("status"):
		return
	if alert.status in ("Approved", "Released") and _is_active(alert.member):
		give_enrolment_gifts(frappe.get_doc(MEMBER, alert.member))


def give_enrolment_gifts(member) -> None:
	"""Each gift has its own idempotency key, so giving them again (a second approval) gives nothing."""
	campaigns.on_enrol(member.name)
	welcome.on_member_enrolled(member)
	campaigns.on_profile_saved(member)


def _is_active(member: str) -> bool:
	return frappe.db.get_value(MEMBER, member, "status") == "Active"
