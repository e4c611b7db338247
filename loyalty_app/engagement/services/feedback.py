"""Member feedback: satisfaction surveys (a 1-5 rating and a comment) and complaints.

Recorded from the desk, the portal or the API. A survey may earn points (Engagement Settings: points per
survey, at most N rewarded surveys per member per month, one per referenced purchase or event). Every
new or changed piece of feedback recomputes the member's feedback risk (engine.engagement.feedback_risk:
an open complaint, a negative rating or a drop in rating) and their lifecycle stage, so the member shows
in the Churn Warning list at once, with the feedback as the reason.
"""

from datetime import date

import frappe
from frappe import _
from frappe.utils import get_first_day, getdate

from loyalty_app.engine.engagement import Feedback, FeedbackKind, FeedbackRules, feedback_risk
from loyalty_app.insight.services.lifecycle import refresh_member
from loyalty_app.loyalty.services.ledger import Voucher, credit, lock_member

FEEDBACK = "Member Feedback"
RECENT_SURVEYS = 10


def settings():
	return frappe.get_cached_doc("Engagement Settings")


def rules() -> FeedbackRules:
	doc = settings()
	return FeedbackRules(
		negative_rating=doc.negative_rating or 2,
		rating_drop=doc.rating_drop or 2.0,
		risk_days=doc.feedback_risk_days or 30,
	)


def validate(feedback) -> None:
	if feedback.rating is not None and feedback.rating != 0 and not 1 <= feedback.rating <= 5:
		frappe.throw(_("The rating must be from 1 to 5"))
	if feedback.feedback_type == "Survey" and not feedback.rating:
		frappe.throw(_("A survey needs a rating from 1 to 5"))
	if feedback.feedback_type == "Survey":
		feedback.status = None
	elif not feedback.status:
		feedback.status = "Open"
	if feedback.is_new():
		# the member's lock before the row is written: rewarded surveys are then counted under it
		lock_member(feedback.member)
		feedback.tier = frappe.db.get_value("Loyalty Member", feedback.member, "tier")


def after_insert(feedback) -> None:
	if feedback.feedback_type == "Survey":
		reward_survey(feedback)
	refresh_risk(feedback.member)


def on_update(feedback) -> None:
	if not feedback.flags.in_insert and feedback.has_value_changed("status"):
		refresh_risk(feedback.member)


def reward_survey(feedback) -> None:
	points = settings().survey_points
	if not points or not rewardable(feedback):
		return
	entry = credit(
		feedback.member,
		points,
		"Bonus",
		Voucher(FEEDBACK, feedback.name),
		key=f"{FEEDBACK}:{feedback.name}:points",
		remarks=_("Thank you for answering the survey"),
	)
	if entry:
		feedback.db_set("points_awarded", points)


def rewardable(feedback) -> bool:
	"""Within the monthly cap and not yet rewarded for the same purchase, counted with a locking read
	under the member's lock (taken in validate), so two surveys sent at once cannot both pass."""
	cap = settings().rewarded_surveys_per_month
	rewarded = frappe.db.sql(
		"""select reference_doctype, reference_name from `tabMember Feedback`
		where member = %s and feedback_type = 'Survey' and points_awarded > 0 and feedback_date >= %s
		and name != %s for update""",
		(feedback.member, get_first_day(feedback.feedback_date), feedback.name),
		as_dict=True,
	)
	if cap and len(rewarded) >= cap:
		return False
	return not (
		feedback.reference_name
		and any(
			(r.reference_doctype, r.reference_name) == (feedback.reference_doctype, feedback.reference_name)
			for r in rewarded
		)
	)


def refresh_risk(member: str, today: date | None = None) -> str:
	"""The member's feedback risk and then their lifecycle stage; returns the stage."""
	today = getdate(today)
	complaints = frappe.get_all(
		FEEDBACK,
		filters={"member": member, "feedback_type": "Complaint", "status": "Open"},
		fields=["feedback_date", "feedback_type", "rating", "status"],
	)
	latest_surveys = frappe.get_all(
		FEEDBACK,
		filters={"member": member, "feedback_type": "Survey", "feedback_date": ("<=", today)},
		fields=["feedback_date", "feedback_type", "rating", "status"],
		order_by="feedback_date desc, creation desc",
		limit=RECENT_SURVEYS,
	)
	rows = complaints + latest_surveys[::-1]  # surveys oldest first: the engine takes the last as the latest
	risk = feedback_risk(
		[
			Feedback(
				getdate(r.feedback_date), FeedbackKind(r.feedback_type), r.rating or None, r.status == "Open"
			)
			for r in rows
		],
		today,
		rules(),
	)
	frappe.db.set_value(
		"Loyalty Member",
		member,
		{"feedback_risk": risk.reason if risk else "", "feedback_risk_until": risk.until if risk else None},
		update_modified=False,
	)
	return refresh_member(member, today)


def record(member: str, feedback_type: str, channel: str, **values) -> str:
	"""Record feedback for a member (portal and API); returns the Member Feedback."""
	doc = frappe.get_doc(
		{"doctype": FEEDBACK, "member": member, "feedback_type": feedback_type, "channel": channel, **values}
	)
	doc.insert(ignore_permissions=True)
	return doc.name
