"""The member's own engagement on the website portal (my-membership): member day, lotteries, flash
sales and feedback, always as the logged-in member."""

import frappe
from frappe.utils import getdate, now_datetime

from loyalty_app.api.portal import session_member
from loyalty_app.engagement.services import feedback, flash, lottery, member_days


def page_context(member: str) -> dict:
	now = now_datetime()
	tier = frappe.db.get_value("Loyalty Member", member, "tier")
	return {
		"member_day": member_days.next_member_day(tier, getdate(now)),
		"lotteries": frappe.get_all(
			"Points Lottery",
			filters={"enabled": 1, "starts_at": ("<=", now), "ends_at": (">=", now)},
			fields=["name", "points_per_entry", "ends_at"],
		),
		"flash_sales": frappe.get_all(
			"Flash Sale",
			filters={"enabled": 1, "starts_at": ("<=", now), "ends_at": (">=", now)},
			fields=["name", "reward", "quantity", "sold", "ends_at"],
		),
	}


@frappe.whitelist(methods=["POST"])
def draw_lottery(lottery_name: str, key: str) -> dict:
	return lottery.draw_result(lottery.enter(lottery_name, session_member(), key=key))


@frappe.whitelist(methods=["POST"])
def flash_redeem(flash_sale: str, key: str) -> str:
	return flash.redeem(flash_sale, session_member(), key=key, channel="Web shop")


@frappe.whitelist(methods=["POST"])
def give_feedback(feedback_type: str, rating: int | None = None, comment: str | None = None) -> str:
	if feedback_type not in ("Survey", "Complaint"):
		frappe.throw(frappe._("Unknown feedback type"))
	return feedback.record(
		session_member(), feedback_type, "Portal", rating=int(rating) if rating else None, comment=comment
	)
