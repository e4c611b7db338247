"""Community groups: join rules, capacity, activities earning points with a daily cap, group figures."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime, today

from loyalty_app.community.services.groups import JoinRefusedError, group_figures, join, leave
from loyalty_app.loyalty.services.tiers import ensure_tier
from loyalty_app.tests.utils import TEA, make_invoice, make_member, member_figures, programme


def make_group(name: str, **fields) -> str:
	if frappe.db.exists("Community Group", name):
		frappe.db.delete("Community Membership", {"community_group": name})
		frappe.db.delete("Community Activity", {"community_group": name})
		frappe.delete_doc("Community Group", name, force=True)
	return frappe.get_doc({"doctype": "Community Group", "group_name": name, **fields}).insert().name


def record(group: str, member: str, activity_type: str = "Check-in", when=None):
	return frappe.get_doc(
		{
			"doctype": "Community Activity",
			"community_group": group,
			"member": member,
			"activity_type": activity_type,
			"activity_datetime": when or now_datetime(),
		}
	).insert()


def points_awarded(activity) -> int:
	return frappe.db.get_value("Community Activity", activity.name, "points_awarded")


class TestCommunityGroups(FrappeTestCase):
	def test_open_group_join_is_idempotent_and_a_member_can_be_in_several_groups(self):
		tea_lovers, store_club = (
			make_group("_LP Tea Lovers"),
			make_group("_LP Store Club", group_type="Store club"),
		)
		member = make_member()
		first = join(tea_lovers, member)
		self.assertEqual(join(tea_lovers, member), first)
		join(store_club, member, role="KOC")
		self.assertEqual(frappe.db.count("Community Membership", {"member": member, "status": "Active"}), 2)
		leave(tea_lovers, member)
		self.assertEqual(
			frappe.db.get_value("Community Membership", first, ["status", "left_on"]),
			("Left the group", frappe.utils.getdate()),
		)

	def test_invite_only_group_needs_an_inviting_member(self):
		salon = make_group("_LP VIP Salon", group_type="VIP salon", join_rule="Invite")
		founder, guest, stranger = make_member(), make_member(), make_member()
		frappe.get_doc(
			{
				"doctype": "Community Membership",
				"community_group": salon,
				"member": founder,
				"role": "Admin",
				"status": "Active",
				"joined_on": today(),
			}
		).db_insert()
		with self.assertRaisesRegex(JoinRefusedError, "invitation"):
			join(salon, stranger)
		self.assertTrue(join(salon, guest, invited_by=founder))

	def test_tier_minimum_and_capacity_are_enforced(self):
		gold = ensure_tier("_LP Group Gold", rank=94, entry=10**9)
		with programme():
			club = make_group("_LP Gold Club", join_rule="Tier minimum", minimum_tier=gold, capacity=1)
			regular, first_gold, second_gold = make_member(), make_member(), make_member()
			for member in (first_gold, second_gold):
				frappe.db.set_value("Loyalty Member", member, "tier", gold)
			with self.assertRaisesRegex(JoinRefusedError, "and above"):
				join(club, regular)
			join(club, first_gold)
			with self.assertRaisesRegex(JoinRefusedError, "full"):
				join(club, second_gold)

	def test_activities_earn_points_through_activity_rules_with_a_daily_cap(self):
		frappe.db.delete("Earning Rule", {"applies_to": "Community activity"})
		frappe.get_doc(
			{
				"doctype": "Earning Rule",
				"rule_name": "_LP check-in points",
				"applies_to": "Community activity",
				"activity_type": "Check-in",
				"points_per_activity": 5,
				"max_activities_per_day": 2,
			}
		).insert()
		group, member, outsider = make_group("_LP Check-ins"), make_member(), make_member()
		join(group, member)
		with programme():
			awarded = [points_awarded(record(group, member)) for _ in range(3)]
			yesterday = points_awarded(record(group, member, when=add_days(now_datetime(), -1)))
			with self.assertRaisesRegex(JoinRefusedError, "is not in community group"):
				record(group, outsider)
		self.assertEqual((awarded, yesterday), ([5, 5, 0], 5))
		self.assertEqual(member_figures(member).points_balance, 15)

	def test_group_figures_count_members_activity_purchases_and_conversion(self):
		group = make_group("_LP Figures")
		buyer, browser, quiet = make_member(), make_member(), make_member()
		for member in (buyer, browser, quiet):
			join(group, member)
		with programme():
			make_invoice(buyer, [(TEA, 1, 120)])
			record(group, browser, "Group post")
		figures = group_figures(group)
		self.assertEqual(
			(
				figures["member_count"],
				figures["active_members_30_days"],
				figures["members_purchase_count"],
				figures["converted_members"],
			),
			(3, 1, 1, 1),
		)
		self.assertAlmostEqual(figures["members_total_spend"], 120)
		self.assertEqual(frappe.get_doc("Community Group", group).member_count, 3)
		self.assertEqual(
			frappe.db.get_value("Community Membership", {"member": buyer}, "joined_on"),
			frappe.utils.getdate(today()),
		)
