"""Lifecycle stages: moved by purchases, refreshed nightly in SQL that agrees with the engine."""

import random

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from loyalty_app.engine.lifecycle import History, Stage, stage
from loyalty_app.insight.services.lifecycle import refresh_stages, rules
from loyalty_app.rewards.services.coupons import issue_to_segment
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign
from loyalty_app.tests.utils import TEA, make_invoice, make_member, programme


def stage_of(member: str) -> str:
	return frappe.db.get_value("Loyalty Member", member, "lifecycle_stage")


def set_history(
	member: str, count: int, first_days_ago: int | None, last_days_ago: int | None, current: str
) -> None:
	frappe.db.set_value(
		"Loyalty Member",
		member,
		{
			"purchase_count": count,
			"first_purchase_date": add_days(today(), -first_days_ago) if first_days_ago is not None else None,
			"last_purchase_date": add_days(today(), -last_days_ago) if last_days_ago is not None else None,
			"lifecycle_stage": current,
		},
	)


class TestLifecycle(FrappeTestCase):
	def test_purchases_move_a_member_through_the_early_stages_and_are_recorded(self):
		member = make_member()
		self.assertEqual(stage_of(member), "New")
		with programme():
			make_invoice(member, [(TEA, 1, 10)])
			self.assertEqual(stage_of(member), "First purchase")
			make_invoice(member, [(TEA, 1, 10)])
		self.assertEqual(stage_of(member), "Active")
		changes = frappe.get_all(
			"Lifecycle Stage Change",
			filters={"member": member},
			fields=["from_stage", "to_stage"],
			order_by="creation",
		)
		self.assertEqual(
			[(c.from_stage, c.to_stage) for c in changes],
			[("New", "First purchase"), ("First purchase", "Active")],
		)

	def test_nightly_job_agrees_with_the_engine_and_records_why_members_are_at_risk(self):
		rng = random.Random(7)
		members = {}
		for _ in range(60):
			member = make_member()
			count = rng.choice([0, 1, 2, 3, 5, 8])
			last = rng.randint(0, 400) if count else None
			first = last + rng.randint(0, 300) if count else None
			current = rng.choice([s.value for s in Stage])
			set_history(member, count, first, last, current)
			attended = rng.choice([None, rng.randint(0, 200)])
			if attended is not None:
				frappe.db.set_value(
					"Loyalty Member", member, "last_event_attended", add_days(today(), -attended)
				)
			members[member] = History(
				count,
				getdate(add_days(today(), -first)) if count else None,
				getdate(add_days(today(), -last)) if count else None,
				Stage(current),
				last_attended=getdate(add_days(today(), -attended)) if attended is not None else None,
			)
		with programme():
			refresh_stages()
			expected = {member: stage(history, getdate(), rules()) for member, history in members.items()}
			self.assertEqual(
				{m: stage_of(m) for m in members}, {m: s.value for m, (s, _r) in expected.items()}
			)
			changed_again = refresh_stages()
		self.assertEqual(changed_again, {})
		for member, (expected_stage, _reason) in expected.items():
			if (
				expected_stage in (Stage.AT_RISK, Stage.LAPSED)
				and members[member].previous_stage != expected_stage
			):
				recorded = frappe.db.get_value(
					"Lifecycle Stage Change",
					{"member": member, "changed_on": today()},
					["to_stage", "reason"],
					as_dict=True,
				)
				self.assertEqual(recorded.to_stage, expected_stage.value)
				self.assertTrue(recorded.reason.startswith("No purchase for"))

	def test_a_second_run_changes_nothing(self):
		member = make_member()
		set_history(member, 3, 200, 120, "Active")
		with programme():
			refresh_stages()
			self.assertEqual(stage_of(member), "At risk")
			refresh_stages()
		self.assertEqual(frappe.db.count("Lifecycle Stage Change", {"member": member}), 1)

	def test_coupons_can_target_a_lifecycle_stage(self):
		campaign = make_campaign("_LP Win Back")
		at_risk = make_member(marketing_consent=1)
		active = make_member(marketing_consent=1)
		set_history(at_risk, 2, 150, 100, "At risk")
		set_history(active, 2, 20, 5, "Active")
		issue_to_segment(campaign, lifecycle_stage="At risk")
		holders = frappe.get_all("Coupon Code", filters={"coupon_campaign": campaign}, pluck="loyalty_member")
		self.assertIn(at_risk, holders)
		self.assertNotIn(active, holders)
