"""Automatic messages: what happened to a member picks the enabled automatic templates of a purpose.

Each source names its send key after the event it is about (the enrolment, the tier change, the ledger
entry, the birthday's year…), so the hooks and the daily/hourly jobs can overlap without sending twice."""

from datetime import date, timedelta

import frappe
from frappe.utils import add_days, getdate, now_datetime

from loyalty_app.loyalty.services.members import birthday_condition
from loyalty_app.outreach.services.messages import Source, queue_automatic, single
from loyalty_app.outreach.services.settings import get_outreach_settings

WELCOME = "Welcome"
BIRTHDAY = "Birthday"
POINTS_EARNED = "Points earned"
POINTS_EXPIRING = "Points expiring"
TIER_UP = "Tier up"
TIER_DOWN = "Tier down"
WIN_BACK = "Win-back offer"
REWARD_READY = "Reward ready for pickup"


def on_member_enrolled(member, method=None) -> None:
	queue_automatic(WELCOME, single(member.name, f"welcome:{member.name}", member.doctype, member.name))


def on_tier_change(change, method=None) -> None:
	queue_tier_changes(names=[change.name])


def on_reward_redeemed(redemption, method=None) -> None:
	if frappe.db.get_value("Loyalty Reward", redemption.reward, "reward_type") == "Stock Item":
		queue_automatic(
			REWARD_READY,
			single(redemption.member, f"reward:{redemption.name}", redemption.doctype, redemption.name),
		)


def queue_tier_changes(since: date | None = None, names: list[str] | None = None) -> int:
	condition, values = (
		("c.name in %(names)s", {"names": tuple(names)})
		if names
		else ("c.changed_on >= %(since)s", {"since": since})
	)
	queued = 0
	for purpose, change_type in ((TIER_UP, "Upgrade"), (TIER_DOWN, "Downgrade")):
		queued += queue_automatic(
			purpose,
			Source(
				f"""select c.member, concat('tier:', c.name) as send_key, 'Member Tier Change' as reference_doctype,
					c.name as reference_name from `tabMember Tier Change` c
				where c.change_type = %(change_type)s and {condition}""",
				{**values, "change_type": change_type},
			),
		)
	return queued


def queue_points_earned(now=None) -> int:
	"""Hourly: a message for each earn posted in the last day (optional: only with an automatic template)."""
	return queue_automatic(
		POINTS_EARNED,
		Source(
			"""select e.member, concat('earned:', e.name) as send_key, 'Points Ledger Entry' as reference_doctype,
				e.name as reference_name from `tabPoints Ledger Entry` e
			where e.entry_type = 'Earn' and e.points > 0 and e.posting_datetime >= %(since)s""",
			{"since": (now or now_datetime()) - timedelta(days=1)},
		),
	)


def queue_points_expiring(today: date | None = None) -> int:
	"""Daily: members whose next points expire within the notice period, once per expiry date (the send
	key), so a day the job missed is made up by the next run while the points have not expired yet."""
	today = getdate(today)
	return queue_automatic(
		POINTS_EXPIRING,
		Source(
			"""select m.name as member, concat('expiring:', m.name, ':', m.next_points_expiry) as send_key,
				null as reference_doctype, null as reference_name from `tabLoyalty Member` m
			where m.next_points_expiry between %(today)s and %(notice_until)s and m.points_expiring_soon > 0""",
			{"today": today, "notice_until": add_days(today, get_outreach_settings().expiry_notice_days)},
		),
	)


def queue_birthdays(today: date | None = None) -> int:
	"""Daily: members whose birthday this day celebrates (`engine.birthdays.celebrated_birthdays`)."""
	today = getdate(today)
	return queue_automatic(
		BIRTHDAY,
		Source(
			f"""select m.name as member, concat('birthday:', %(year)s, ':', m.name) as send_key,
				null as reference_doctype, null as reference_name from `tabLoyalty Member` m
			where {birthday_condition(today)}""",
			{"year": today.year},
		),
	)


def win_back_offered(members: list[str], coupon_campaign: str, today: date) -> int:
	"""Members who were just given a win-back code get the win-back offer message with their code."""
	if not members:
		return 0
	return queue_automatic(
		WIN_BACK,
		Source(
			"""select m.name as member, concat('win-back:', %(today)s, ':', m.name) as send_key,
				'Coupon Campaign' as reference_doctype, %(campaign)s as reference_name
			from `tabLoyalty Member` m where m.name in %(members)s""",
			{"members": tuple(members), "campaign": coupon_campaign, "today": today},
		),
	)


def queue_daily(today: date | None = None) -> int:
	"""Daily job (after the tier review): birthdays, points expiring, tier changes of the last two days."""
	today = getdate(today)
	return (
		queue_birthdays(today) + queue_points_expiring(today) + queue_tier_changes(since=add_days(today, -1))
	)
