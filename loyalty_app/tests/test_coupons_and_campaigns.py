"""Coupon campaigns on ERPNext coupons, and points campaigns with their budgets and abuse checks."""

import threading
import time

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from loyalty_app.loyalty.services.ledger import Voucher
from loyalty_app.loyalty.services.tiers import ensure_tier
from loyalty_app.rewards.services.campaigns import (
	ReferralNotAllowedError,
	award,
	clear_campaign_cache,
	post_birthday_bonuses,
)
from loyalty_app.rewards.services.coupons import (
	CouponNotAllowedError,
	generate_open_codes,
	issue_code,
	issue_to_segment,
)
from loyalty_app.tests.utils import (
	TEA,
	company,
	ledger,
	make_invoice,
	make_member,
	member_figures,
	programme,
	random_mobile,
)


def make_campaign(name: str, **fields) -> str:
	"""A fresh campaign: code generation commits, so an earlier run's campaign and codes are removed."""
	if rule := frappe.db.get_value("Coupon Campaign", name, "pricing_rule"):
		frappe.db.delete("Coupon Code", {"coupon_campaign": name})
		frappe.db.delete("Coupon Campaign", name)
		frappe.db.delete("Pricing Rule", rule)
	return (
		frappe.get_doc(
			{
				"doctype": "Coupon Campaign",
				"campaign_name": name,
				"company": company(),
				"discount_type": "Percentage",
				"discount_value": 10,
				"code_prefix": "LP",
				"uses_per_code": 1,
				"per_member_limit": 1,
				**fields,
			}
		)
		.insert()
		.name
	)


def make_points_campaign(name: str, campaign_type: str, **fields) -> str:
	if frappe.db.exists("Points Campaign", name):
		frappe.db.delete("Points Campaign", name)
		clear_campaign_cache()
	return (
		frappe.get_doc(
			{"doctype": "Points Campaign", "campaign_name": name, "campaign_type": campaign_type, **fields}
		)
		.insert()
		.name
	)


class TestCouponCampaigns(FrappeTestCase):
	def test_bound_coupon_applies_natively_on_a_pos_invoice_once(self):
		with programme():
			campaign = make_campaign("_LP Ten Percent", per_member_limit=0)
			member = make_member()
			code = issue_code(campaign, member)
			invoice = make_invoice(member, [(TEA, 1, 200)], doctype="POS Invoice", coupon_code=code)

			self.assertEqual(invoice.discount_amount, 20)
			self.assertEqual(invoice.grand_total, 180)
			self.assertEqual(frappe.db.get_value("Coupon Code", code, "used"), 1)
			with self.assertRaisesRegex(frappe.ValidationError, "no longer valid"):
				make_invoice(member, [(TEA, 1, 200)], doctype="POS Invoice", coupon_code=code)

	def test_a_bound_coupon_is_refused_for_another_member_and_per_member_limit_holds(self):
		with programme():
			campaign = make_campaign("_LP Personal")
			owner, stranger = make_member(), make_member()
			code = issue_code(campaign, owner)
			with self.assertRaises(CouponNotAllowedError):
				make_invoice(stranger, [(TEA, 1, 50)], doctype="POS Invoice", coupon_code=code)
			make_invoice(owner, [(TEA, 1, 50)], doctype="POS Invoice", coupon_code=code)
			second = issue_code(campaign, owner)
			with self.assertRaisesRegex(CouponNotAllowedError, "already used"):
				make_invoice(owner, [(TEA, 1, 50)], doctype="POS Invoice", coupon_code=second)

	def test_ten_thousand_codes_are_generated_unique_in_bulk(self):
		campaign = make_campaign("_LP Mass Mailing", code_length=10)
		started = time.perf_counter()
		generated = generate_open_codes(campaign, 10_000)
		seconds = time.perf_counter() - started

		codes = frappe.get_all("Coupon Code", filters={"coupon_campaign": campaign}, pluck="coupon_code")
		self.assertEqual(generated, 10_000)
		self.assertEqual(len(codes), 10_000)
		self.assertEqual(len(set(codes)), 10_000)
		self.assertTrue(all(code.startswith("LP") and len(code) == 12 for code in codes))
		doc = frappe.get_doc("Coupon Campaign", campaign)
		self.assertEqual((doc.issued_count, doc.used_count, doc.generation_status), (10_000, 0, "Completed"))
		print(f"generated 10,000 coupon codes in {seconds:.1f} s")

	def test_issue_to_a_tier_reaches_only_consenting_members_once(self):
		with programme():
			campaign = make_campaign("_LP Tier Offer")

			tier = ensure_tier("_LP Offer Tier", rank=93, entry=10**9)
			frappe.db.sql("update `tabLoyalty Member` set tier = null where tier = %s", tier)
			consenting, silent, other = (
				make_member(marketing_consent=1),
				make_member(),
				make_member(marketing_consent=1),
			)
			for member in (consenting, silent):
				frappe.db.set_value("Loyalty Member", member, "tier", tier)

			self.assertEqual(issue_to_segment(campaign, tier=tier), 1)
			self.assertEqual(issue_to_segment(campaign, tier=tier), 0)
		holders = frappe.get_all("Coupon Code", filters={"coupon_campaign": campaign}, pluck="loyalty_member")
		self.assertEqual(holders, [consenting])
		self.assertNotIn(other, holders)


class TestPointsCampaigns(FrappeTestCase):
	def tearDown(self):
		frappe.db.delete("Points Campaign", {"name": ("like", "_LP %")})
		frappe.db.commit()  # nosemgrep: the jobs under test commit, so their campaigns must not linger
		clear_campaign_cache()

	def test_sign_up_and_profile_completion_bonuses_are_posted_once(self):
		make_points_campaign("_LP Welcome", "Sign-up Bonus", bonus_points=100)
		make_points_campaign("_LP Profile", "Profile Completion Bonus", bonus_points=30)
		with programme():
			member = make_member()
			doc = frappe.get_doc("Loyalty Member", member)
			doc.update({"birthday": "1990-05-01", "gender": "Female", "email": "lp@example.com"})
			doc.save()
			doc.save()
		self.assertEqual(sorted(e.points for e in ledger(member, entry_type="Bonus")), [30, 100])

	def test_referral_pays_both_sides_after_the_first_paid_purchase_only(self):
		make_points_campaign("_LP Refer", "Referral Bonus", bonus_points=50, referrer_points=80)
		with programme():
			referrer = make_member()
			friend = make_member(referred_by=referrer)
			self.assertEqual(member_figures(referrer).points_balance, 0)
			make_invoice(friend, [(TEA, 1, 10)])
			make_invoice(friend, [(TEA, 1, 10)])
		self.assertEqual(member_figures(referrer).points_balance, 80)
		self.assertEqual(member_figures(friend).points_balance, 10 + 10 + 50)

	def test_self_referral_and_referral_loops_are_refused(self):
		with programme():
			first = make_member()
			second = make_member(referred_by=first)
			doc = frappe.get_doc("Loyalty Member", first)
			doc.referred_by = second
			with self.assertRaisesRegex(ReferralNotAllowedError, "cannot be referred"):
				doc.save()
			doc = frappe.get_doc("Loyalty Member", first)
			doc.referred_by = first
			with self.assertRaises(ReferralNotAllowedError):
				doc.save()

	def test_double_points_day_posts_the_extra_as_a_bonus_within_budget(self):
		make_points_campaign("_LP Double", "Double Points", multiplier=2, budget_points=150)
		with programme():
			member = make_member()
			make_invoice(member, [(TEA, 1, 100)])
			make_invoice(member, [(TEA, 1, 100)])
		self.assertEqual([e.points for e in ledger(member, entry_type="Bonus")], [100])
		self.assertEqual(frappe.db.get_value("Points Campaign", "_LP Double", "points_issued"), 100)

	def test_birthday_job_posts_once_per_year_within_budget(self):
		make_points_campaign("_LP Birthday", "Birthday Bonus", bonus_points=88, budget_points=88 * 2)
		with programme():
			now = frappe.utils.getdate()
			frappe.db.sql(
				"update `tabLoyalty Member` set birthday = null where month(birthday) = %s and day(birthday) = %s",
				(now.month, now.day),
			)
			birthday = f"1990-{now.month:02d}-{now.day:02d}"
			celebrants = [make_member(birthday=birthday, mobile_no=random_mobile()) for _ in range(3)]
			tomorrow = frappe.utils.getdate(add_days(today(), 1))
			not_today = make_member(birthday=f"1991-{tomorrow.month:02d}-{tomorrow.day:02d}")
			frappe.db.commit()  # nosemgrep: the job commits per campaign
			first = post_birthday_bonuses()
			again = post_birthday_bonuses()
		self.assertEqual((first, again), (2, 0))
		balances = sorted(member_figures(m).points_balance for m in celebrants)
		self.assertEqual(balances, [0, 88, 88])
		self.assertEqual(member_figures(not_today).points_balance, 0)
		self.assertEqual(frappe.db.get_value("Points Campaign", "_LP Birthday", "points_issued"), 176)

	def test_campaign_budget_holds_under_two_concurrent_sessions(self):
		make_points_campaign(
			"_LP Tight Budget", "Sign-up Bonus", bonus_points=60, budget_points=100, active=0
		)
		members = [make_member(), make_member()]
		frappe.db.commit()  # nosemgrep: the sessions below must see the campaign and members
		site, start, posted = frappe.local.site, threading.Barrier(2), []

		def session(member: str) -> None:
			frappe.init(site=site)
			frappe.connect()
			frappe.set_user("Administrator")
			try:
				start.wait()
				entry = award(
					"_LP Tight Budget",
					member,
					60,
					key=f"_lp-budget-{member}",
					remarks="race",
					cause=Voucher("Loyalty Member", member),
				)
				frappe.db.commit()  # nosemgrep
				posted.append(bool(entry))
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=session, args=(m,)) for m in members]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()

		self.assertEqual(sorted(posted), [False, True])
		self.assertEqual(frappe.db.get_value("Points Campaign", "_LP Tight Budget", "points_issued"), 60)
		self.assertEqual(sum(member_figures(m).points_balance for m in members), 60)
