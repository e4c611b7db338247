"""Community groups (社群): joining by the group's rule, activities that may earn points, group figures."""

from datetime import datetime

import frappe
from frappe import _
from frappe.utils import add_days, get_datetime, getdate, today

from loyalty_app.loyalty.services.ledger import Voucher, credit, lock_member
from loyalty_app.loyalty.services.tiers import all_tiers
from loyalty_app.utils import lock_row, locked_value

MEMBERSHIP = "Community Membership"


class JoinRefusedError(frappe.ValidationError):
	pass


def active_membership(group: str, member: str) -> str | None:
	return frappe.db.get_value(MEMBERSHIP, {"community_group": group, "member": member, "status": "Active"})


def check_join(membership) -> None:
	"""The group's rule, capacity and one active membership per member; the group row is locked."""
	group = lock_row("Community Group", membership.community_group)

	def refuse(message: str) -> None:
		frappe.throw(message, JoinRefusedError, title=_("Cannot join {0}").format(group.name))

	if not group.active:
		refuse(_("Community group {0} is not active").format(group.name))
	if _locked_active_memberships(group.name, membership, member=membership.member):
		refuse(_("Member {0} is already in community group {1}").format(membership.member, group.name))
	if group.join_rule == "Invite":
		if not membership.invited_by or not active_membership(group.name, membership.invited_by):
			refuse(
				_("Community group {0} is by invitation: an existing member must invite").format(group.name)
			)
	elif group.join_rule == "Tier minimum":
		ranks = {tier.name: tier.rank for tier in all_tiers()}
		member_tier = frappe.db.get_value("Loyalty Member", membership.member, "tier")
		if ranks.get(member_tier, -1) < ranks.get(group.minimum_tier, 0):
			refuse(_("Community group {0} is for tier {1} and above").format(group.name, group.minimum_tier))
	if group.capacity and _locked_active_memberships(group.name, membership) >= group.capacity:
		refuse(_("Community group {0} is full ({1} members)").format(group.name, group.capacity))


def _locked_active_memberships(group: str, membership, member: str | None = None) -> int:
	"""Active memberships of the group (of one member, if given) other than this one, read under the
	group's lock with a locking read, so two members joining at once see each other."""
	return locked_value(
		"""select count(*) from `tabCommunity Membership` where community_group = %s and status = 'Active'
		and name != %s and (%s is null or member = %s)""",
		(group, membership.name or "", member, member),
	)


def join(group: str, member: str, role: str = "Member", invited_by: str | None = None) -> str:
	"""Join a group; joining again while active returns the existing membership."""
	if existing := active_membership(group, member):
		return existing
	membership = frappe.get_doc(
		{
			"doctype": MEMBERSHIP,
			"community_group": group,
			"member": member,
			"role": role,
			"invited_by": invited_by,
			"joined_on": today(),
		}
	)
	membership.insert(ignore_permissions=True)
	return membership.name


def leave(group: str, member: str) -> None:
	if name := active_membership(group, member):
		frappe.db.set_value(MEMBERSHIP, name, {"status": "Left the group", "left_on": today()})


def check_activity(activity) -> None:
	# the member's lock before the activity row is written: the per-day caps are then counted under it
	lock_member(activity.member)
	if not active_membership(activity.community_group, activity.member):
		frappe.throw(
			_("Member {0} is not in community group {1}").format(activity.member, activity.community_group),
			JoinRefusedError,
		)


def award_activity_points(activity) -> int:
	"""Points from enabled community-activity earning rules, within each rule's activities-per-day cap."""
	when = get_datetime(activity.activity_datetime)
	points = 0
	for rule in frappe.get_all(
		"Earning Rule",
		filters={"enabled": 1, "applies_to": "Community activity", "activity_type": activity.activity_type},
		fields=["name", "points_per_activity", "max_activities_per_day", "valid_from", "valid_to"],
	):
		if (rule.valid_from and getdate(rule.valid_from) > when.date()) or (
			rule.valid_to and getdate(rule.valid_to) < when.date()
		):
			continue
		if rule.max_activities_per_day and _rewarded_today(activity, when) >= rule.max_activities_per_day:
			continue
		points += rule.points_per_activity or 0
	if points:
		credit(
			activity.member,
			points,
			"Bonus",
			Voucher(activity.doctype, activity.name),
			key=f"activity:{activity.name}",
			posting_datetime=when,
			remarks=_("{0} in {1}").format(_(activity.activity_type), activity.community_group),
		)
		activity.db_set("points_awarded", points)
	return points


def _rewarded_today(activity, when: datetime) -> int:
	return locked_value(
		"""select count(*) from `tabCommunity Activity` where member = %s and activity_type = %s
		and points_awarded > 0 and activity_datetime between %s and %s and name != %s""",
		(activity.member, activity.activity_type, when.date(), add_days(when.date(), 1), activity.name),
	)


def group_figures(group: str) -> dict:
	"""Members, members active in 30 days, their purchases and spend, members who bought after joining."""
	row = frappe.db.sql(
		"""select count(*),
			sum(exists (select 1 from `tabCommunity Activity` a where a.community_group = g.community_group
				and a.member = g.member and a.activity_datetime >= %(since)s)),
			coalesce(sum(m.purchase_count), 0), coalesce(sum(m.total_spend), 0),
			sum(m.last_purchase_date >= g.joined_on)
		from `tabCommunity Membership` g join `tabLoyalty Member` m on m.name = g.member
		where g.community_group = %(group)s and g.status = 'Active'""",
		{"group": group, "since": add_days(today(), -30)},
	)[0]
	return {
		"member_count": row[0] or 0,
		"active_members_30_days": int(row[1] or 0),
		"members_purchase_count": int(row[2] or 0),
		"members_total_spend": float(row[3] or 0),
		"converted_members": int(row[4] or 0),
	}
