"""Member events: registration within capacity, check-in at the door (points, community activity),
invitations through a Message Send, and results (attendees' purchases after the event, ROI)."""

from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate, now_datetime

from loyalty_app.community.services.groups import active_membership
from loyalty_app.engine.value import roi
from loyalty_app.insight.services.lifecycle import refresh_member
from loyalty_app.loyalty.services.ledger import Voucher, credit
from loyalty_app.outreach.services import sends
from loyalty_app.utils import lock_row, locked_value

EVENT = "Member Event"
REGISTRATION = "Member Event Registration"
REGISTERED, ATTENDED = "Registered", "Attended"
COMPLETED, CANCELLED = "Completed", "Cancelled"


class EventFullError(frappe.ValidationError):
	pass


class EventClosedError(frappe.ValidationError):
	pass


class AlreadyRegisteredError(frappe.ValidationError):
	pass


def registration_key(event: str, member: str) -> str:
	return f"{event}:{member}"


def validate_registration(registration) -> None:
	"""A new registration: the event is open, the member active and not yet registered, a seat is free.
	The event row stays locked until the transaction ends, so two clerks cannot take the last seat."""
	if registration.satisfaction and not 1 <= registration.satisfaction <= 5:
		frappe.throw(_("Satisfaction is a score from 1 to 5"))
	if not registration.is_new():
		return
	event = lock_row(EVENT, registration.member_event)
	if event.status in (COMPLETED, CANCELLED):
		frappe.throw(_("Member Event {0} is {1}").format(event.event_name, _(event.status)), EventClosedError)
	if frappe.db.get_value("Loyalty Member", registration.member, "status") != "Active":
		frappe.throw(_("Member {0} is not active").format(registration.member))
	registration.registration_key = registration_key(event.name, registration.member)
	if locked_value(
		f"select count(*) from `tab{REGISTRATION}` where registration_key = %s", registration.registration_key
	):
		frappe.throw(
			_("Member {0} is already registered for {1}").format(registration.member, event.event_name),
			AlreadyRegisteredError,
		)
	taken = locked_value(f"select count(*) from `tab{REGISTRATION}` where member_event = %s", event.name)
	if event.capacity and taken >= event.capacity:
		frappe.throw(
			_("Member Event {0} is full ({1} places)").format(event.event_name, event.capacity),
			EventFullError,
		)
	registration.status = REGISTERED
	registration.registered_at = registration.registered_at or now_datetime()
	registration.points_awarded = 0


def register(event: str, member: str) -> str:
	"""The member's registration, made now if a seat is free; a concurrent repeat returns the first one."""
	lock_row(EVENT, event)
	if existing := locked_value(
		f"select max(name) from `tab{REGISTRATION}` where registration_key = %s",
		registration_key(event, member),
	):
		return existing
	doc = frappe.get_doc({"doctype": REGISTRATION, "member_event": event, "member": member})
	doc.insert(ignore_permissions=True)
	return doc.name


def check_in(event: str, member: str, when=None) -> dict:
	"""Mark the member as attending (registering a walk-in if a seat is free); idempotent."""
	when = when or now_datetime()
	locked_event = lock_row(EVENT, event)
	registration = lock_row(REGISTRATION, register(event, member))
	result = {"registration": registration.name, "member": member, "member_event": event}
	if registration.status == ATTENDED:
		return {**result, "points_awarded": registration.points_awarded, "already_checked_in": True}
	points = locked_event.attendance_points or 0
	if points:
		credit(
			member,
			points,
			"Bonus",
			Voucher(EVENT, event, locked_event.company),
			key=f"event-attendance:{event}:{member}",
			posting_datetime=when,
			remarks=_("Attended {0}").format(locked_event.event_name),
		)
	frappe.db.set_value(
		REGISTRATION, registration.name, {"status": ATTENDED, "checked_in_at": when, "points_awarded": points}
	)
	frappe.db.sql(
		"""update `tabLoyalty Member` set last_event_attended = greatest(coalesce(last_event_attended, %(on)s), %(on)s)
		where name = %(member)s""",
		{"on": getdate(when), "member": member},
	)
	refresh_member(member, getdate(when))
	if locked_event.community_group and active_membership(locked_event.community_group, member):
		frappe.get_doc(
			{
				"doctype": "Community Activity",
				"community_group": locked_event.community_group,
				"member": member,
				"activity_type": "Event attendance",
				"activity_datetime": when,
				"notes": locked_event.event_name,
			}
		).insert(ignore_permissions=True)
	return {**result, "points_awarded": points, "already_checked_in": False}


def invite(event_name: str) -> str:
	"""A Message Send of the invitation template to the event's tiers and segments, started at once."""
	event = frappe.get_doc(EVENT, event_name)
	if not event.invitation_template:
		frappe.throw(_("Set the invitation template of {0} first").format(event.event_name))
	send = frappe.get_doc(
		{
			"doctype": sends.MESSAGE_SEND,
			"title": _("Invitation: {0}").format(event.event_name),
			"template": event.invitation_template,
			"member_event": event.name,
			"tiers": [{"tier": row.tier} for row in event.tiers],
			"lifecycle_stage": event.lifecycle_stage,
			"rfm_segment": event.rfm_segment,
			"community_group": event.community_group,
		}
	).insert()
	sends.start(send.name)
	return send.name


def event_figures(event: str) -> dict[str, int]:
	counts = dict(
		frappe.db.sql(
			"select status, count(*) from `tabMember Event Registration` where member_event = %s group by status",
			event,
		)
	)
	invitations = frappe.db.sql(
		"""select count(*) from `tabMessage Log` l join `tabMessage Send` s on s.name = l.message_send
		where s.member_event = %s and l.status = 'Sent'""",
		event,
	)[0][0]
	return {
		"invitations_sent": invitations,
		"registered_count": sum(counts.values()),
		"attended_count": counts.get(ATTENDED, 0),
	}


ATTRIBUTED_REVENUE = """
	select coalesce(sum(sale.net), 0) from (
		select si.customer, si.base_net_total as net from `tabSales Invoice` si
		where si.docstatus = 1 and si.is_consolidated = 0 and si.company = %(company)s
			and si.posting_date between %(start)s and %(end)s
		union all
		select pi.customer, pi.base_net_total from `tabPOS Invoice` pi
		where pi.docstatus = 1 and pi.company = %(company)s and pi.posting_date between %(start)s and %(end)s
	) sale
	join `tabLoyalty Member` m on m.customer = sale.customer
	join `tabMember Event Registration` r on r.member = m.name
	where r.member_event = %(event)s and r.status = 'Attended'"""


def refresh_results(event_name: str) -> dict:
	"""Attendees' net purchases (returns deducted; POS sales counted once, on the POS Invoice) from the
	event's first day to `attribution_days` later, the ROI on the actual cost, and mean satisfaction."""
	event = frappe.get_doc(EVENT, event_name)
	start = getdate(event.starts_on)
	revenue = Decimal(
		str(
			frappe.db.sql(
				ATTRIBUTED_REVENUE,
				{
					"event": event.name,
					"company": event.company,
					"start": start,
					"end": add_days(start, event.attribution_days or 0),
				},
			)[0][0]
		)
	)
	ratio = roi(revenue, Decimal(str(event.actual_cost or 0)))
	satisfaction = frappe.db.sql(
		"""select avg(satisfaction) from `tabMember Event Registration`
		where member_event = %s and satisfaction > 0""",
		event.name,
	)[0][0]
	results = {
		"attributed_revenue": flt(revenue, 2),
		"roi": flt(ratio * 100, 4) if ratio is not None else None,
		"satisfaction": flt(satisfaction, 2),
		"results_refreshed_at": now_datetime(),
	}
	event.db_set({**results, "roi": results["roi"] or 0})  # the column holds 0 when nothing was spent
	return results


def refresh_recent_results(today: date | None = None) -> int:
	"""Daily: events still inside their attribution period (a handful; one query each)."""
	today = getdate(today)
	events = frappe.db.sql_list(
		"""select name from `tabMember Event` where status <> 'Cancelled' and date(starts_on) <= %(today)s
		and date(starts_on) >= %(today)s - interval (coalesce(attribution_days, 0) + 1) day""",
		{"today": today},
	)
	for name in events:
		refresh_results(name)
	return len(events)
