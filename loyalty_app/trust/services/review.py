"""A Loyalty Manager's decisions on Risk Alerts: approve a held transaction, reject it, release a frozen
member or dismiss the alert. Every decision records who made it and when (and the alert keeps a Version)."""

import json

import frappe
from frappe import _
from frappe.utils import get_datetime, getdate, now_datetime

from loyalty_app.loyalty.services.ledger import Voucher, credit, debit
from loyalty_app.loyalty.services.tiers import upgrade_if_qualified
from loyalty_app.trust.services.members import set_member_status
from loyalty_app.utils import lock_row

ALERT = "Risk Alert"
MEMBER = "Loyalty Member"
REVIEWERS = ("Loyalty Manager", "System Manager")
DECISIONS = ("Approve", "Reject", "Release", "Dismiss")
# where a voucher shows the points it earned
EARNED_FIELDS = {
	"Sales Invoice": "loyalty_points_earned",
	"POS Invoice": "loyalty_points_earned",
	"External Transaction": "points",
}


class AlertDecisionError(frappe.ValidationError):
	pass


def decide(alert_name: str, decision: str, note: str | None = None) -> str:
	"""Carry out `decision` on an alert; returns the alert's new status."""
	frappe.only_for(REVIEWERS)
	if decision not in DECISIONS:
		frappe.throw(_("Unknown decision {0}").format(decision))
	alert = lock_row(ALERT, alert_name)
	allowed = ("Open", "Approved") if decision == "Release" else ("Open",)
	if alert.status not in allowed:
		frappe.throw(
			_("Risk Alert {0} is {1}; it cannot be decided again").format(alert.name, _(alert.status)),
			AlertDecisionError,
		)
	status = {"Approve": "Approved", "Reject": "Rejected", "Release": "Released", "Dismiss": "Dismissed"}[
		decision
	]
	values = {"status": status}
	if decision == "Approve":
		_check_four_eyes(alert)
		values["posted_entry"] = _post_held(alert)
		if alert.event in ("Enrolment", "Profile") and alert.action_taken == "Hold for approval":
			_activate(alert.member, _("Approved by {0}").format(frappe.session.user))
	elif decision == "Release":
		if frappe.db.get_value(MEMBER, alert.member, "status") != "Frozen":
			frappe.throw(_("Member {0} is not frozen").format(alert.member), AlertDecisionError)
		_activate(alert.member, _("Released by {0}").format(frappe.session.user))
	doc = frappe.get_doc(ALERT, alert.name)
	doc.update(
		{**values, "reviewed_by": frappe.session.user, "reviewed_at": now_datetime(), "review_note": note}
	)
	doc.flags.ignore_permissions = True
	doc.save()
	return status


def _check_four_eyes(alert) -> None:
	if alert.reference_doctype == "Points Adjustment" and alert.triggered_by == frappe.session.user:
		frappe.throw(
			_("Another Loyalty Manager must approve an adjustment you made yourself"), AlertDecisionError
		)


def _activate(member: str, reason: str) -> None:
	if frappe.db.get_value(MEMBER, member, "status") == "Frozen":
		set_member_status(member, "Active", reason)


def _post_held(alert) -> str | None:
	"""Post the held earn or adjustment exactly as it was asked, with its own idempotency key."""
	if not alert.held_posting:
		return None
	held = json.loads(alert.held_posting)
	doctype, name, company = held["voucher"]
	if frappe.get_meta(doctype).is_submittable and frappe.db.get_value(doctype, name, "docstatus") != 1:
		frappe.throw(
			_("{0} {1} is no longer submitted, so its points cannot be posted").format(_(doctype), name),
			AlertDecisionError,
		)
	options = held["options"]
	if options.get("posting_datetime"):
		options["posting_datetime"] = get_datetime(options["posting_datetime"])
	post = credit if held["action"] == "credit" else debit
	entry = post(
		held["member"],
		held["points"],
		held["entry_type"],
		Voucher(doctype, name, company),
		key=held["key"],
		checked=True,
		**options,
	)
	if entry and held["entry_type"] == "Earn":
		if points_field := EARNED_FIELDS.get(doctype):
			points = frappe.db.get_value("Points Ledger Entry", entry, "points")
			frappe.db.set_value(doctype, name, points_field, points, update_modified=False)
		upgrade_if_qualified(
			held["member"],
			getdate(options.get("posting_datetime") or now_datetime()),
			cause=Voucher(doctype, name, company),
		)
	return entry
