"""Coupon campaigns on ERPNext coupons, and points campaigns with their budgets and abuse checks."""

import threading
import time
from datetime import date

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from loyalty_app.loyalty.services.ledger import Voucher, debit, take_back
from loyalty_app.loyalty.services.tiers import ensure_tier
from loyalty_app.rewards.services.campaigns import (
	BIRTHDAY_JOB,
	ReferralNotAllowedError,
	award,
	clear_campaign_cache,
	post_birthday_bonuses,
)
from loyalty_app.rewards.services.coupons import (
	CouponNotAllowedError,
	enqueue_generation,
	generate_open_codes,
	issue_code,
	issue_to_segment,
)
from loyalty_app.tests.utils import (
	TEA,
	company,
	ledger,
	ledger_webhook,
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


def make_birthday_campaign(name: str, **fields) -> str:
	"""The only active test birthday campaign, so earlier tests' campaigns pay no one here."""
	frappe.db.sql(
		"""update `tabPoints Campaign` set active = 0
		where campaign_type = 'Birthday Bonus' and name like '\\_LP %%' and name != %s""",
		name,
	)
	clear_campaign_cache()
	return make_points_campaign(name, "Birthday Bonus", **fields)


def birthday_job_last_ran(day: date | None) -> None:
	"""The birthday job's memory of its last completed day (None: it never ran)."""
	frappe.db.delete("Loyalty Job Run", {"name": BIRTHDAY_JOB})
	if day:
		frappe.get_doc(
			{"doctype": "Loyalty Job Run", "job": BIRTHDAY_JOB, "last_completed_day": day}
		).insert()
	frappe.db.commit()  # nosemgrep: the job commits


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
		enqueue_generation(campaign, 10_000)
		generated = frappe.db.count("Coupon Code", {"coupon_campaign": campaign})
		seconds = time.perf_counter() - started

		codes = frappe.get_all("Coupon Code", filters={"coupon_campaign": campaign}, pluck="coupon_code")
		self.assertEqual(generated, 10_000)
		self.assertEqual(len(codes), 10_000)
		self.assertEqual(len(set(codes)), 10_000)
		self.assertTrue(all(code.startswith("LP") and len(code) == 12 for code in codes))
		doc = frappe.get_doc("Coupon Campaign", campaign)
		self.assertEqual((doc.issued_count, doc.used_count, doc.generation_status), (10_000, 0, "Completed"))
		print(f"generated 10,000 coupon codes in {seconds:.1f} s")

	def test_a_generation_stopped_half_way_is_resumed_not_repeated(self):
		campaign = make_campaign("_LP Resumed Mailing", code_length=10)
		frappe.db.set_value("Coupon Campaign", campaign, "open_codes_requested", 2500)
		first = generate_open_codes(campaign, max_chunks=1)
		status_after_stop = frappe.db.get_value("Coupon Campaign", campaign, "generation_status")
		enqueue_generation(campaign, 0)
		after_resume = frappe.db.count("Coupon Code", {"coupon_campaign": campaign})
		rerun = generate_open_codes(campaign)
		enqueue_generation(campaign, 100)
		after_more = frappe.db.count("Coupon Code", {"coupon_campaign": campaign})

		self.assertEqual((first, status_after_stop), (1000, "Failed"))
		self.assertEqual((after_resume, rerun, after_more), (2500, 0, 2600))
		self.assertEqual(frappe.db.get_value("Coupon Campaign", campaign, "generation_status"), "Completed")
		with self.assertRaisesRegex(frappe.ValidationError, "how many codes"):
			enqueue_generation(campaign, 0)

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
		make_birthday_campaign("_LP Birthday", bonus_points=88, budget_points=88 * 2)
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
			birthday_job_last_ran(None)
			first = post_birthday_bonuses()
			again = post_birthday_bonuses()
		self.assertEqual((first, again), (2, 0))
		balances = sorted(member_figures(m).points_balance for m in celebrants)
		self.assertEqual(balances, [0, 88, 88])
		self.assertEqual(member_figures(not_today).points_balance, 0)
		self.assertEqual(frappe.db.get_value("Points Campaign", "_LP Birthday", "points_issued"), 176)

	def test_29_february_birthdays_earn_on_28_february_in_common_years(self):
		make_birthday_campaign("_LP Leap Birthday", bonus_points=29)
		with programme():
			leapling = make_member(birthday="2000-02-29")
			birthday_job_last_ran(date(2027, 2, 27))
			post_birthday_bonuses(date(2027, 2, 28))
			in_common_year = [e.points for e in ledger(leapling, entry_type="Bonus")]
			birthday_job_last_ran(date(2028, 2, 27))
			post_birthday_bonuses(date(2028, 2, 28))
			on_28_february_of_a_leap_year = [e.points for e in ledger(leapling, entry_type="Bonus")]
			post_birthday_bonuses(date(2028, 2, 29))
		self.assertEqual(in_common_year, [29])
		self.assertEqual(on_28_february_of_a_leap_year, [29])
		self.assertEqual([e.points for e in ledger(leapling, entry_type="Bonus")], [29, 29])

	def test_a_missed_first_of_the_month_is_caught_up_by_the_next_run(self):
		make_birthday_campaign("_LP Birthday Month", bonus_points=31, birthday_rule="In the birthday month")
		with programme():
			april = make_member(birthday="1990-04-15")
			birthday_job_last_ran(date(2027, 3, 31))
			post_birthday_bonuses(date(2027, 4, 3))  # the runs of 1 and 2 April were missed
			post_birthday_bonuses(date(2027, 4, 3))
		self.assertEqual(
			[(e.points, e.voucher_no, e.cause_type, e.cause_name) for e in ledger(april, entry_type="Bonus")],
			[(31, "_LP Birthday Month", "Loyalty Member", april)],
		)
		self.assertEqual(
			frappe.db.get_value("Loyalty Job Run", BIRTHDAY_JOB, "last_completed_day"), date(2027, 4, 3)
		)

	def test_a_birthday_bonus_settles_points_debt_and_reaches_webhooks(self):
		make_birthday_campaign("_LP Debt Birthday", bonus_points=88)
		with programme(), ledger_webhook() as received:
			member = make_member(birthday="1990-06-15")
			make_invoice(member, [(TEA, 1, 100)])
			(lot,) = ledger(member, entry_type="Earn")
			debit(member, 100, "Redeem", Voucher("Loyalty Member", member), key=f"_lp-bd-spend-{member}")
			take_back(
				lot.name,
				100,
				Voucher("Loyalty Member", member),
				key=f"_lp-bd-back-{member}",
				block_shortfall=False,
			)
			before = member_figures(member)
			birthday_job_last_ran(date(2027, 6, 14))
			post_birthday_bonuses(date(2027, 6, 15))
		after = member_figures(member)
		(bonus,) = ledger(member, entry_type="Bonus")
		# The balance counts the debt: the bonus raises it, and settling the debt from the bonus's lot is an
		# entry of 0 points that consumes the lot.
		self.assertEqual((before.points_debt, after.points_debt), (100, 12))
		self.assertEqual((before.points_balance, after.points_balance), (-100, -12))
		self.assertEqual((bonus.cause_type, bonus.cause_name), ("Loyalty Member", member))
		self.assertEqual(
			frappe.db.get_value(
				"Points Ledger Entry",
				{"member": member, "settles_debt": 1},
				["points", "voucher_no", "cause_type", "cause_name"],
			),
			(0, "_LP Debt Birthday", "Loyalty Member", member),
		)
		self.assertEqual(frappe.db.get_value("Points Ledger Entry", bonus.name, "remaining_points"), 0)
		self.assertIn({"entry": bonus.name, "entry_type": "Bonus", "points": 88}, received)
		self.assertTrue(frappe.db.exists("Webhook Request Log", {"reference_document": bonus.name}))

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
