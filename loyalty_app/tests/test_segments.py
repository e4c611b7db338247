"""Lifecycle stages and RFM segments target coupons, rewards and points campaigns."""

import frappe
from frappe.tests.utils import FrappeTestCase

from loyalty_app.loyalty.services.ledger import Voucher
from loyalty_app.rewards.services.campaigns import award
from loyalty_app.rewards.services.coupons import issue_to_segment
from loyalty_app.rewards.services.redemption import RewardUnavailableError
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign, make_points_campaign
from loyalty_app.tests.test_rewards import make_reward, member_with_points, redeem
from loyalty_app.tests.utils import ledger, make_member, programme


def segment_member(stage: str | None = None, rfm: str | None = None, **profile) -> str:
	member = make_member(**profile)
	frappe.db.set_value("Loyalty Member", member, {"lifecycle_stage": stage, "rfm_segment": rfm})
	return member


def thank(campaign: str, member: str) -> str | None:
	return award(
		campaign,
		member,
		30,
		key=f"_lp-seg-{member}",
		remarks="thanks",
		cause=Voucher("Loyalty Member", member),
	)


class TestSegments(FrappeTestCase):
	def test_a_reward_for_one_lifecycle_stage_refuses_other_members(self):
		with programme():
			reward = make_reward(
				"_LP Win-back Gift", reward_type="Service", points_cost=10, lifecycle_stage="Won back"
			)
			outsider = member_with_points(50)
			insider = member_with_points(50)
			frappe.db.set_value("Loyalty Member", insider, "lifecycle_stage", "Won back")
			frappe.db.set_value("Loyalty Member", outsider, "lifecycle_stage", "Active")
			with self.assertRaisesRegex(RewardUnavailableError, "only for members in lifecycle stage"):
				redeem(outsider, reward)
			self.assertEqual(redeem(insider, reward).points, 10)

	def test_a_points_campaign_for_one_rfm_segment_awards_only_that_segment(self):
		campaign = make_points_campaign(
			"_LP Champions Thanks", "Sign-up Bonus", bonus_points=30, active=0, rfm_segment="Champions"
		)
		champion, other = segment_member(rfm="Champions"), segment_member(rfm="Lost")
		with programme():
			self.assertTrue(thank(campaign, champion))
			self.assertIsNone(thank(campaign, other))
		self.assertEqual([e.points for e in ledger(champion, entry_type="Bonus")], [30])
		self.assertEqual(ledger(other, entry_type="Bonus"), [])

	def test_coupons_can_target_an_rfm_segment(self):
		campaign = make_campaign("_LP Can't Lose Offer")
		frappe.db.sql(
			"update `tabLoyalty Member` set rfm_segment = null where rfm_segment = %s", "Can't lose"
		)
		target = segment_member(rfm="Can't lose", marketing_consent=1)
		segment_member(rfm="Champions", marketing_consent=1)
		self.assertEqual(issue_to_segment(campaign, rfm_segment="Can't lose"), 1)
		self.assertEqual(
			frappe.get_all("Coupon Code", filters={"coupon_campaign": campaign}, pluck="loyalty_member"),
			[target],
		)
