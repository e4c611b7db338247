"""Engagement: member days, welcome packs, the points lottery, flash sales and member feedback."""

import threading
from collections import Counter

import frappe
from frappe.tests.utils import FrappeTestCase, change_settings
from frappe.utils import add_days, add_to_date, getdate, now_datetime, today

from loyalty_app.api import v1
from loyalty_app.engagement import portal
from loyalty_app.engagement.report.member_satisfaction import member_satisfaction
from loyalty_app.engagement.services import feedback, flash, lottery, welcome
from loyalty_app.engine.lifecycle import History, Stage, stage
from loyalty_app.engine.lottery import Prize, draw
from loyalty_app.insight.report.churn_warning import churn_warning
from loyalty_app.insight.services.lifecycle import refresh_stages, rules
from loyalty_app.loyalty.services.ledger import InsufficientPointsError
from loyalty_app.loyalty.services.members import enrol
from loyalty_app.loyalty.services.tiers import ensure_tier, log_tier_change
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign
from loyalty_app.tests.test_rewards import make_reward, member_with_points, store
from loyalty_app.tests.utils import (
	TEA,
	company,
	make_invoice,
	make_member,
	make_user,
	member_figures,
	programme,
	random_mobile,
)

RUN = frappe.generate_hash(length=8)  # idempotency keys unique to this run: some tests commit


def tiers() -> tuple[str, str]:
	return ensure_tier("_LP Silver", rank=10, entry=100), ensure_tier("_LP Gold", rank=20, entry=500)


def set_tier(member: str, tier: str) -> None:
	frappe.db.set_value("Loyalty Member", member, "tier", tier)


def balance(member: str) -> int:
	return member_figures(member).points_balance


def make_member_day(name: str, tier: str, **fields) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Member Day",
				"day_name": name,
				"company": company(),
				"repeats": "Day of month",
				"repeat_day": getdate().day,
				"tiers": [{"tier": tier}],
				"points_multiplier": 3,
				"discount_percentage": 10,
				**fields,
			}
		)
		.insert()
		.name
	)


def api_error() -> tuple[int, str]:
	return frappe.local.response.get("http_status_code"), (frappe.local.response.get("error") or {}).get(
		"code"
	)


def run_concurrently(calls: list) -> list:
	"""Run each call in its own thread with its own database connection; returns what each returned or raised."""
	frappe.db.commit()  # nosemgrep: the sessions below must see the committed test data
	site, start, results = frappe.local.site, threading.Barrier(len(calls)), [None] * len(calls)

	def session(index: int, call) -> None:
		frappe.init(site=site)
		frappe.connect()
		frappe.set_user("Administrator")
		try:
			start.wait()
			try:
				results[index] = call()
				frappe.db.commit()  # nosemgrep
			except frappe.ValidationError as e:
				frappe.db.rollback()
				results[index] = e
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=session, args=(i, call)) for i, call in enumerate(calls)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	return results


class TestMemberDay(FrappeTestCase):
	def test_discount_and_multiplier_apply_only_on_the_day_and_only_for_the_tier(self):
		silver, gold = tiers()
		with programme():
			day = make_member_day("_LP Gold Day", gold)
			gold_member, silver_member = make_member(), make_member()
			set_tier(gold_member, gold)
			set_tier(silver_member, silver)

			on_the_day = make_invoice(gold_member, [(TEA, 1, 100)])
			self.assertEqual(on_the_day.items[0].discount_percentage, 10)
			self.assertEqual(on_the_day.net_total, 90)
			self.assertEqual(on_the_day.loyalty_points_earned, 270)

			pos = make_invoice(gold_member, [(TEA, 2, 50)], doctype="POS Invoice")
			self.assertEqual(pos.net_total, 90)
			self.assertEqual(pos.loyalty_points_earned, 270)

			other_tier = make_invoice(silver_member, [(TEA, 1, 100)])
			self.assertEqual(other_tier.net_total, 100)
			self.assertEqual(other_tier.loyalty_points_earned, 100)

			other_day = make_invoice(
				gold_member, [(TEA, 1, 100)], set_posting_time=1, posting_date=add_days(today(), -1)
			)
			self.assertEqual(other_day.net_total, 100)
			self.assertEqual(other_day.loyalty_points_earned, 100)

			frappe.db.set_value("Member Day", day, "enabled", 0)
			frappe.get_doc("Member Day", day).save()
			self.assertEqual(make_invoice(gold_member, [(TEA, 1, 100)]).net_total, 100)

	def test_member_day_keeps_its_earning_rules_and_pricing_rule_in_step(self):
		silver, gold = tiers()
		day = frappe.get_doc("Member Day", make_member_day("_LP Weekly", gold))
		day.repeats, day.repeat_weekday = "Day of week", "Friday"
		day.append("tiers", {"tier": silver})
		day.save()
		rules = frappe.get_all(
			"Earning Rule", filters={"member_day": day.name}, fields=["tier", "repeats", "repeat_weekday"]
		)
		self.assertEqual(sorted(r.tier for r in rules), sorted([silver, gold]))
		self.assertTrue(all((r.repeats, r.repeat_weekday) == ("Day of week", "Friday") for r in rules))
		self.assertEqual(frappe.db.get_value("Pricing Rule", day.pricing_rule, "discount_percentage"), 10)
		pricing_rule = day.pricing_rule
		day.delete()
		self.assertFalse(frappe.db.exists("Earning Rule", {"member_day": day.name}))
		self.assertFalse(frappe.db.exists("Pricing Rule", pricing_rule))


class TestWelcomePack(FrappeTestCase):
	def test_welcome_pack_is_issued_exactly_once_however_enrolment_is_retried(self):
		campaign = make_campaign("_LP Welcome Coupon")
		gift = make_reward("_LP Welcome Gift", reward_type="Service", points_cost=200, active=1)
		pack = frappe.get_doc(
			{
				"doctype": "Welcome Pack",
				"pack_name": "_LP Welcome",
				"points": 50,
				"coupon_campaigns": [{"coupon_campaign": campaign}],
				"reward": gift,
			}
		).insert()
		mobile = random_mobile()
		with programme():
			first = enrol(mobile, "New Member").name
			self.assertEqual(enrol(mobile, "New Member").name, first)
			v1.enrol(mobile_no=mobile, member_name="New Member")
			welcome.on_member_enrolled(frappe.get_doc("Loyalty Member", first))
			welcome.issue(pack.name, first)

		self.assertEqual(frappe.db.count("Welcome Pack Issue", {"member": first}), 1)
		self.assertEqual(balance(first), 50)
		self.assertEqual(
			frappe.db.count("Coupon Code", {"loyalty_member": first, "coupon_campaign": campaign}), 1
		)
		redemptions = frappe.get_all(
			"Reward Redemption", filters={"member": first, "docstatus": 1}, fields=["reward", "points"]
		)
		self.assertEqual([(r.reward, r.points) for r in redemptions], [(gift, 0)])

		with programme():
			api_member = v1.enrol(mobile_no=random_mobile(), member_name="API Member")["member"]
		self.assertEqual(balance(api_member), 50)

	def test_tier_upgrade_pack_once_per_tier(self):
		_silver, gold = tiers()
		frappe.get_doc(
			{
				"doctype": "Welcome Pack",
				"pack_name": "_LP Gold Pack",
				"trigger": "Tier upgrade",
				"tier": gold,
				"points": 30,
			}
		).insert()
		with programme():
			member = make_member()
			log_tier_change(member, "Downgrade", gold, None, getdate(), 0)
			self.assertEqual(balance(member), 0)
			log_tier_change(member, "Upgrade", None, gold, getdate(), 600)
			log_tier_change(member, "Upgrade", None, gold, getdate(), 700)
		self.assertEqual(balance(member), 30)


def make_lottery(name: str, prizes: list[dict], **fields) -> str:
	"""A lottery of its own for this run (draw logs stay when a test commits)."""
	name = f"{name} {RUN}"
	return (
		frappe.get_doc(
			{
				"doctype": "Points Lottery",
				"lottery_name": name,
				"points_per_entry": 10,
				"starts_at": add_to_date(now_datetime(), hours=-1),
				"ends_at": add_to_date(now_datetime(), hours=1),
				"prizes": prizes,
				**fields,
			}
		)
		.insert()
		.name
	)


class TestLottery(FrappeTestCase):
	def test_odds_over_many_draws_are_within_tolerance_and_each_draw_is_auditable(self):
		name = make_lottery(
			"_LP Odds",
			[
				{"prize_label": "5 points", "prize_type": "Points", "points": 5, "weight": 1},
				{"prize_label": "1 point", "prize_type": "Points", "points": 1, "weight": 1},
			],
			points_per_entry=1,
			no_win_weight=2,
		)
		draws = 400
		with programme():
			member = member_with_points(draws)
			for i in range(draws):
				lottery.enter(name, member, key=f"_lp-odds-{RUN}-{i}")
		log = frappe.get_all(
			"Lottery Draw",
			filters={"lottery": name, "member": member},
			fields=["seed", "roll", "total_weight", "prize", "prize_label", "points_won", "points_spent"],
		)
		counts = Counter(row.prize_label for row in log)
		# each prize 25 %: four standard deviations of 400 draws is ±8.7 points of percentage
		for label in ("5 points", "1 point"):
			self.assertAlmostEqual(counts[label] / draws, 0.25, delta=0.087)
		won = 5 * counts["5 points"] + counts["1 point"]
		self.assertEqual(balance(member), draws - draws + won)
		prizes = {
			p.name: p
			for p in frappe.get_all("Lottery Prize", filters={"parent": name}, fields=["name", "weight"])
		}
		order = [p.name for p in frappe.get_all("Lottery Prize", filters={"parent": name}, order_by="idx")]
		engine_prizes = [Prize(p, prizes[p].weight, 1) for p in order]
		for row in log:
			again = draw(engine_prizes, 2, row.seed)
			self.assertEqual((again.roll, again.prize), (row.roll, row.prize or None))

	def test_daily_limit_window_and_balance_refusals_change_nothing(self):
		name = make_lottery(
			"_LP Limited",
			[{"prize_label": "Nothing much", "prize_type": "Points", "points": 1, "weight": 0}],
			no_win_weight=1,
			daily_limit=2,
		)
		with programme():
			member = member_with_points(100)
			lottery.enter(name, member, key=f"_lp-limit-1-{RUN}")
			lottery.enter(name, member, key=f"_lp-limit-1-{RUN}")  # a replay: the same draw
			lottery.enter(name, member, key=f"_lp-limit-2-{RUN}")
			self.assertRaises(lottery.DailyLimitError, lottery.enter, name, member, f"_lp-limit-3-{RUN}")
			self.assertEqual(balance(member), 80)
			poor = make_member()
			self.assertRaises(InsufficientPointsError, lottery.enter, name, poor, f"_lp-poor-{RUN}")
			frappe.db.set_value("Points Lottery", name, "ends_at", add_to_date(now_datetime(), minutes=-1))
			self.assertRaises(lottery.LotteryClosedError, lottery.enter, name, member, f"_lp-late-{RUN}")
		self.assertEqual(frappe.db.count("Lottery Draw", {"lottery": name}), 2)

	def test_prizes_and_api(self):
		campaign = make_campaign("_LP Lottery Coupon")
		name = make_lottery(
			"_LP Coupon Prize",
			[
				{
					"prize_label": "Coupon",
					"prize_type": "Coupon",
					"coupon_campaign": campaign,
					"weight": 1,
					"quantity": 1,
				}
			],
		)
		with programme():
			member = member_with_points(100)
			won = v1.draw_lottery(member=member, lottery=name, key=f"_lp-api-1-{RUN}")
			self.assertTrue(won["won"])
			self.assertEqual(frappe.db.get_value("Coupon Code", won["coupon_code"], "loyalty_member"), member)
			lost = v1.draw_lottery(member=member, lottery=name, key=f"_lp-api-2-{RUN}")
			self.assertFalse(lost["won"])
			self.assertEqual(lost["member"]["points_balance"], 80)

	def test_prize_stock_never_goes_negative_under_concurrent_draws(self):
		name = make_lottery(
			"_LP Race",
			[{"prize_label": "Jackpot", "prize_type": "Points", "points": 100, "weight": 1, "quantity": 2}],
		)
		with programme():
			members = [member_with_points(50) for _ in range(6)]
			results = run_concurrently(
				[lambda m=m: lottery.enter(name, m, key=f"_lp-race-{RUN}-{m}") for m in members]
			)
		self.assertTrue(all(isinstance(r, str) for r in results), results)
		self.assertEqual(frappe.db.get_value("Lottery Prize", {"parent": name}, "awarded"), 2)
		winners = frappe.get_all(
			"Lottery Draw", filters={"lottery": name, "prize_label": "Jackpot"}, pluck="member"
		)
		self.assertEqual(len(winners), 2)
		self.assertEqual(sorted(balance(m) for m in members), [40] * 4 + [140] * 2)


class TestFlashSale(FrappeTestCase):
	def make_sale(self, quantity: int) -> str:
		reward = make_reward(
			f"_LP Flash {frappe.generate_hash(length=6)}", reward_type="Service", points_cost=100, active=1
		)
		return (
			frappe.get_doc(
				{
					"doctype": "Flash Sale",
					"sale_name": reward,
					"reward": reward,
					"starts_at": add_to_date(now_datetime(), hours=-1),
					"ends_at": add_to_date(now_datetime(), hours=1),
					"quantity": quantity,
				}
			)
			.insert()
			.name
		)

	def test_concurrent_redemptions_never_oversell_and_losers_keep_their_points(self):
		sale = self.make_sale(quantity=3)
		with programme():
			members = [member_with_points(150) for _ in range(8)]
			results = run_concurrently([lambda m=m: flash.redeem(sale, m, key=f"{RUN}-{m}") for m in members])
		sold_out = [r for r in results if isinstance(r, flash.SoldOutError)]
		self.assertEqual(len(sold_out), 5, results)
		self.assertIn("sold out", str(sold_out[0]))
		self.assertEqual(frappe.db.get_value("Flash Sale", sale, "sold"), 3)
		reward = frappe.db.get_value("Flash Sale", sale, "reward")
		self.assertEqual(frappe.db.count("Reward Redemption", {"reward": reward, "docstatus": 1}), 3)
		self.assertEqual(sorted(balance(m) for m in members), [50] * 3 + [150] * 5)

	def test_a_cancelled_flash_redemption_puts_its_unit_back_on_sale(self):
		sale = self.make_sale(quantity=1)
		with programme():
			first, second = member_with_points(150), member_with_points(150)
			redemption = flash.redeem(sale, first, key=f"{RUN}-cancel-1")
			with self.assertRaises(flash.SoldOutError):
				flash.redeem(sale, second, key=f"{RUN}-cancel-2")
			frappe.get_doc("Reward Redemption", redemption).cancel()
			self.assertEqual((balance(first), frappe.db.get_value("Flash Sale", sale, "sold")), (150, 0))
			flash.redeem(sale, second, key=f"{RUN}-cancel-2")
		self.assertEqual((balance(second), frappe.db.get_value("Flash Sale", sale, "sold")), (50, 1))

	def test_api_answers_409_sold_out_and_a_replay_returns_the_first_redemption(self):
		sale = self.make_sale(quantity=1)
		with programme():
			first, second = member_with_points(150), member_with_points(150)
			frappe.db.commit()  # nosemgrep: a refused API call rolls back its transaction
			done = v1.flash_redeem(member=first, flash_sale=sale, key=f"_lp-flash-1-{RUN}")
			again = v1.flash_redeem(member=first, flash_sale=sale, key=f"_lp-flash-1-{RUN}")
			self.assertEqual(again["redemption"], done["redemption"])
			self.assertIsNone(v1.flash_redeem(member=second, flash_sale=sale, key=f"_lp-flash-2-{RUN}"))
			self.assertEqual(api_error(), (409, "sold_out"))
			frappe.local.response.pop("error")
			frappe.local.response.pop("http_status_code")
		self.assertEqual(balance(second), 150)


class TestFeedback(FrappeTestCase):
	def test_a_complaint_moves_the_member_into_the_at_risk_list_with_that_reason(self):
		with programme():
			member = make_member()
			make_invoice(member, [(TEA, 1, 10)])
			self.assertEqual(
				frappe.db.get_value("Loyalty Member", member, "lifecycle_stage"), "First purchase"
			)
			complaint = feedback.record(member, "Complaint", "Desk", comment="Rude staff", store=store())
			stage, reason = frappe.db.get_value(
				"Loyalty Member", member, ["lifecycle_stage", "feedback_risk"]
			)
			self.assertEqual(stage, "At risk")
			self.assertEqual(reason, f"Open complaint since {today()}")
			listed = {row["member"]: row for row in churn_warning.execute({})[1]}
			self.assertEqual(listed[member]["reason"], reason)

			refresh_stages()
			self.assertEqual(frappe.db.get_value("Loyalty Member", member, "lifecycle_stage"), "At risk")

			doc = frappe.get_doc("Member Feedback", complaint)
			doc.status = "Resolved"
			doc.save()
		self.assertEqual(frappe.db.get_value("Loyalty Member", member, "lifecycle_stage"), "Won back")

	def test_negative_rating_and_rating_drop_raise_risk_and_surveys_earn_points_within_the_cap(self):
		with change_settings("Engagement Settings", {"survey_points": 10, "rewarded_surveys_per_month": 2}):
			with programme():
				member = make_member()
				make_invoice(member, [(TEA, 1, 10)])
				before = balance(member)
				for rating in (5, 5, 4):
					v1.submit_feedback(member=member, rating=rating, comment="fine")
				self.assertEqual(balance(member) - before, 20)
				self.assertEqual(
					frappe.db.get_value("Loyalty Member", member, "lifecycle_stage"), "First purchase"
				)
				result = v1.submit_feedback(member=member, rating=1, comment="awful")
				frappe.local.response.pop("http_status_code", None)
				self.assertEqual(result["member"]["member"], member)
				self.assertEqual(
					frappe.db.get_value("Loyalty Member", member, "feedback_risk"),
					f"Rated 1 of 5 on {today()}",
				)
				self.assertEqual(frappe.db.get_value("Loyalty Member", member, "lifecycle_stage"), "At risk")

	def test_satisfaction_report_by_month_store_and_tier(self):
		_silver, gold = tiers()
		with programme():
			member = make_member()
			set_tier(member, gold)
			for rating in (5, 1):
				feedback.record(member, "Survey", "Desk", rating=rating, store=store())
			feedback.record(member, "Complaint", "Desk", store=store())
		rows = member_satisfaction.execute({"store": store(), "tier": gold})[1]
		row = next(r for r in rows if r.period == today()[:7])
		self.assertEqual(
			(row.surveys, float(row.average_rating), row.complaints, row.open_complaints), (2, 3.0, 1, 1)
		)
		self.assertEqual(float(row.negative_share), 50.0)

	def test_nightly_stages_agree_with_the_engine_for_members_with_feedback_risk(self):
		cases = [
			(3, 60, 5, "Active", "Open complaint since 2026-01-02", None),
			(3, 60, 5, "At risk", "Rated 1 of 5 on 2026-01-02", -1),
			(3, 60, 5, "Active", "Rated 2 of 5 on 2026-01-02", 3),
			(0, None, None, "New", "Open complaint since 2026-01-02", None),
			(2, 400, 200, "At risk", "Open complaint since 2026-01-02", None),
		]
		members = {}
		for count, first, last, current, reason, until_in in cases:
			member = make_member()
			until = add_days(today(), until_in) if until_in is not None else None
			frappe.db.set_value(
				"Loyalty Member",
				member,
				{
					"purchase_count": count,
					"first_purchase_date": add_days(today(), -first) if first else None,
					"last_purchase_date": add_days(today(), -last) if last else None,
					"lifecycle_stage": current,
					"feedback_risk": reason,
					"feedback_risk_until": until,
				},
			)
			members[member] = History(
				count,
				getdate(add_days(today(), -first)) if first else None,
				getdate(add_days(today(), -last)) if last else None,
				Stage(current),
				reason,
				getdate(until) if until else None,
			)
		with programme():
			refresh_stages()
			expected = {m: stage(h, getdate(), rules()) for m, h in members.items()}
		for member, (expected_stage, reason) in expected.items():
			self.assertEqual(
				frappe.db.get_value("Loyalty Member", member, "lifecycle_stage"), expected_stage.value
			)
			if expected_stage != members[member].previous_stage:
				recorded = frappe.db.get_value(
					"Lifecycle Stage Change", {"member": member, "changed_on": today()}, "reason"
				)
				self.assertEqual(recorded, reason)


class TestPortal(FrappeTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def test_a_member_sees_the_next_member_day_and_complains_from_the_portal(self):
		_silver, gold = tiers()
		make_member_day("_LP Portal Day", gold)
		with programme():
			member = make_member()
			set_tier(member, gold)
			make_invoice(member, [(TEA, 1, 10)])
			user = make_user(f"{member.lower()}-{RUN}@example.com", "Customer")
			frappe.db.set_value("Loyalty Member", member, "user", user)
			frappe.set_user(user)
			self.assertEqual(portal.page_context(member)["member_day"]["date"], getdate())
			name = portal.give_feedback("Complaint", comment="Queue too long")
		self.assertEqual(
			frappe.db.get_value("Member Feedback", name, ["member", "channel"]), (member, "Portal")
		)
		self.assertEqual(frappe.db.get_value("Loyalty Member", member, "lifecycle_stage"), "At risk")
