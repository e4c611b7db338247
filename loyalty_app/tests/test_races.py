"""Every limit of the app, fired at once from two sessions with their own connections, ROUNDS times.

Limits (each decided on a locking read after the lock of the row it belongs to):
- reward per-member limit, from the v1 API, the desk and the portal (reward row locked)
- daily earning cap of the programme (member row locked)
- member event capacity (event row locked)
- community group capacity (group row locked)
- flash-sale per-member limit (sale row locked)
- lottery per-member daily limit (lottery row locked)
- points campaign per-member budget (campaign row locked)
- earning-velocity risk rule (member row locked)
- community activity earning rule's activities per day (member row locked)
- rewarded surveys per member per month (member row locked)
Concurrent replays of the same idempotency key return the first result and write once:
- v1 earn, v1 redeem, v1 redeem_reward, flash-sale redemption, lottery entry, event check-in.
Not raced here: a coupon campaign's codes per member, checked on a POS Invoice's submit with the
campaign row locked (ERPNext's POS submit is too heavy for ten rounds of threads).
"""

import frappe
from frappe.tests.utils import FrappeTestCase, change_settings

from loyalty_app.api import portal, v1
from loyalty_app.community.services.groups import JoinRefusedError, join
from loyalty_app.engagement.services import feedback, flash, lottery
from loyalty_app.loyalty.services.ledger import Voucher, credit
from loyalty_app.outreach.services import events
from loyalty_app.rewards.services.campaigns import award, awarded_to, clear_campaign_cache
from loyalty_app.rewards.services.redemption import RewardUnavailableError, redeemed_by_member
from loyalty_app.tests.race import ROUNDS, ApiRefusal, Fixtures, committed, race
from loyalty_app.tests.test_coupons_and_campaigns import make_points_campaign
from loyalty_app.tests.test_outreach_events import make_event
from loyalty_app.tests.test_rewards import make_reward
from loyalty_app.tests.test_trust import risk_rule
from loyalty_app.tests.utils import company, make_member, make_user, member_figures, programme
from loyalty_app.trust.services.risk import clear_rule_cache


def earned(member: str, entry_type: str = "Earn") -> int:
	return int(
		frappe.db.sql(
			"select coalesce(sum(points), 0) from `tabPoints Ledger Entry` where member = %s and entry_type = %s",
			(member, entry_type),
		)[0][0]
	)


class RaceTestCase(FrappeTestCase):
	def setUp(self):
		self.fixtures = Fixtures()
		self.addCleanup(self.fixtures.remove)
		self.run_key = frappe.generate_hash(length=8)

	def member(self, points: int = 0) -> str:
		member = self.fixtures.member(make_member())
		if points:
			credit(member, points, "Adjust", Voucher("Loyalty Member", member), key=f"_lp-grant-{member}")
		return member

	def reward(self, **fields) -> str:
		name = f"_LP Race {frappe.generate_hash(length=8)}"
		return self.fixtures.add(
			"Loyalty Reward", make_reward(name, reward_type="Service", points_cost=100, active=1, **fields)
		)

	def flash_sale(self, **fields) -> str:
		reward = self.reward()
		return self.fixtures.add(
			"Flash Sale",
			frappe.get_doc(
				{
					"doctype": "Flash Sale",
					"sale_name": reward,
					"reward": reward,
					"starts_at": frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=-1),
					"ends_at": frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=1),
					"quantity": 10,
					**fields,
				}
			)
			.insert()
			.name,
		)

	def lottery(self, **fields) -> str:
		name = f"_LP Race Lottery {frappe.generate_hash(length=8)}"
		return self.fixtures.add(
			"Points Lottery",
			frappe.get_doc(
				{
					"doctype": "Points Lottery",
					"lottery_name": name,
					"points_per_entry": 10,
					"starts_at": frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=-1),
					"ends_at": frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=1),
					"no_win_weight": 1,
					"prizes": [{"prize_label": "None", "prize_type": "Points", "points": 1, "weight": 0}],
					**fields,
				}
			)
			.insert()
			.name,
		)

	def two_api_earns_at_once(self, member: str, amount: int) -> list:
		return race(
			[lambda k=k: v1.earn(member=member, order_id=self.key(member, k), amount=amount) for k in (1, 2)]
		)

	def key(self, *parts) -> str:
		return "-".join(["_lp", self.run_key, *map(str, parts)]).replace(" ", "-")

	def assertOneWins(self, results: list, refusal) -> None:
		"""One call went through; the other was refused with `refusal` (an error class or an API code)."""
		refused = [
			r
			for r in results
			if (isinstance(r, ApiRefusal) and r.code == refusal)
			or (isinstance(refusal, type) and isinstance(r, refusal))
		]
		self.assertEqual(len(refused), len(results) - 1, results)


class TestLimitsHoldUnderConcurrency(RaceTestCase):
	def reward_limit_holds(self, redeem_once, users=None) -> None:
		member = self.member(points=100 * ROUNDS + 1000)
		for n in range(ROUNDS):
			reward = self.reward(per_member_limit=1)
			results = race([lambda k=k: redeem_once(member, reward, k) for k in (1, 2)], users)
			self.assertEqual(redeemed_by_member(reward, member), 1, f"round {n}: {results}")
		self.assertEqual(member_figures(member).points_balance, 1000)
		return results

	def test_reward_per_member_limit_from_the_api(self):
		results = self.reward_limit_holds(
			lambda member, reward, k: v1.redeem_reward(member=member, reward=reward, key=self.key(reward, k))
		)
		self.assertOneWins(results, "reward_unavailable")

	def test_reward_per_member_limit_from_the_desk(self):
		def submit(member, reward, _k):
			doc = frappe.get_doc(
				{"doctype": "Reward Redemption", "member": member, "reward": reward, "company": company()}
			).insert()
			doc.submit()
			return doc.name

		self.assertOneWins(self.reward_limit_holds(submit), RewardUnavailableError)

	def test_reward_per_member_limit_from_the_portal(self):
		member = self.member(points=100 * ROUNDS + 1000)
		user = make_user(f"{self.key('portal')}@example.com", "Customer")
		self.fixtures.add("User", user)
		frappe.db.set_value("Loyalty Member", member, "user", user)
		for n in range(ROUNDS):
			reward = self.reward(per_member_limit=1)
			results = race([lambda: portal.redeem_reward(reward)] * 2, [user, user])
			self.assertEqual(redeemed_by_member(reward, member), 1, f"round {n}: {results}")
			self.assertOneWins(results, RewardUnavailableError)
		self.assertEqual(member_figures(member).points_balance, 1000)

	def test_daily_earning_cap(self):
		with committed(programme(max_points_per_day=300)):
			for n in range(ROUNDS):
				member = self.member()
				results = self.two_api_earns_at_once(member, 200)
				self.assertEqual(earned(member), 300, f"round {n}: {results}")
				self.assertEqual(member_figures(member).points_balance, 300)

	def test_member_event_capacity(self):
		members = [self.member(), self.member()]
		for n in range(ROUNDS):
			event = self.fixtures.add("Member Event", make_event(capacity=1))
			results = race([lambda m=m: events.register(event, m) for m in members])
			taken = frappe.db.count("Member Event Registration", {"member_event": event})
			self.assertEqual(taken, 1, f"round {n}: {results}")
			self.assertOneWins(results, events.EventFullError)
			frappe.db.delete("Member Event Registration", {"member_event": event})

	def test_community_group_capacity(self):
		members = [self.member(), self.member()]
		for n in range(ROUNDS):
			group = f"_LP Race Group {frappe.generate_hash(length=8)}"
			self.fixtures.add(
				"Community Group",
				frappe.get_doc({"doctype": "Community Group", "group_name": group, "capacity": 1})
				.insert()
				.name,
			)
			results = race([lambda m=m: join(group, m) for m in members])
			active = frappe.db.count("Community Membership", {"community_group": group, "status": "Active"})
			self.assertEqual(active, 1, f"round {n}: {results}")
			self.assertOneWins(results, JoinRefusedError)
			frappe.db.delete("Community Membership", {"community_group": group})

	def test_flash_sale_per_member_limit(self):
		member = self.member(points=100 * ROUNDS + 1000)
		for n in range(ROUNDS):
			sale = self.flash_sale(per_member_limit=1)
			results = race([lambda k=k: flash.redeem(sale, member, key=self.key(sale, k)) for k in (1, 2)])
			self.assertEqual(flash.bought_by(sale, member), 1, f"round {n}: {results}")
			self.assertEqual(frappe.db.get_value("Flash Sale", sale, "sold"), 1)
			self.assertOneWins(results, RewardUnavailableError)
		self.assertEqual(member_figures(member).points_balance, 1000)

	def test_lottery_daily_limit(self):
		member = self.member(points=1000)
		for n in range(ROUNDS):
			name = self.lottery(daily_limit=1)
			results = race([lambda k=k: lottery.enter(name, member, key=self.key(name, k)) for k in (1, 2)])
			self.assertEqual(frappe.db.count("Lottery Draw", {"lottery": name}), 1, f"round {n}: {results}")
			self.assertOneWins(results, lottery.DailyLimitError)
		self.assertEqual(member_figures(member).points_balance, 1000 - 10 * ROUNDS)

	def test_points_campaign_per_member_budget(self):
		member = self.member()
		for n in range(ROUNDS):
			campaign = f"_LP Race Campaign {frappe.generate_hash(length=8)}"
			self.fixtures.add(
				"Points Campaign",
				make_points_campaign(
					campaign, "Sign-up Bonus", bonus_points=60, per_member_budget=60, active=0
				),
			)
			results = race(
				[
					lambda k=k: award(
						campaign,
						member,
						60,
						key=self.key(campaign, k),
						remarks="race",
						cause=Voucher("Loyalty Member", member),
					)
					for k in (1, 2)
				]
			)
			self.assertEqual(awarded_to(campaign, member), 60, f"round {n}: {results}")
			self.assertEqual(sorted(bool(r) for r in results), [False, True])
		self.assertEqual(member_figures(member).points_balance, 60 * ROUNDS)
		clear_campaign_cache()

	def test_earning_velocity_risk_rule(self):
		self.addCleanup(clear_rule_cache)
		self.fixtures.add("Risk Rule", risk_rule("Earning velocity", "Block", max_transactions=1))
		clear_rule_cache()
		with committed(programme()):
			for n in range(ROUNDS):
				member = self.member()
				results = self.two_api_earns_at_once(member, 100)
				self.assertEqual(earned(member), 100, f"round {n}: {results}")
				self.assertOneWins(results, "blocked_by_risk_rules")

	def test_community_activity_points_per_day(self):
		self.fixtures.add(
			"Earning Rule",
			frappe.get_doc(
				{
					"doctype": "Earning Rule",
					"rule_name": f"_LP race check-in {self.run_key}",
					"applies_to": "Community activity",
					"activity_type": "Check-in",
					"points_per_activity": 5,
					"max_activities_per_day": 1,
				}
			)
			.insert()
			.name,
		)
		group = self.fixtures.add(
			"Community Group",
			frappe.get_doc({"doctype": "Community Group", "group_name": f"_LP Race Check-ins {self.run_key}"})
			.insert()
			.name,
		)

		def check_in(member):
			return (
				frappe.get_doc(
					{
						"doctype": "Community Activity",
						"community_group": group,
						"member": member,
						"activity_type": "Check-in",
						"activity_datetime": frappe.utils.now_datetime(),
					}
				)
				.insert()
				.name
			)

		for n in range(ROUNDS):
			member = self.member()
			join(group, member)
			results = race([lambda: check_in(member)] * 2)
			self.assertEqual(earned(member, "Bonus"), 5, f"round {n}: {results}")
			self.assertTrue(all(isinstance(r, str) for r in results), results)

	def test_rewarded_surveys_per_month(self):
		settings = change_settings(
			"Engagement Settings", {"survey_points": 10, "rewarded_surveys_per_month": 1}
		)
		with committed(settings):
			for n in range(ROUNDS):
				member = self.member()
				results = race([lambda: feedback.record(member, "Survey", "API", rating=5)] * 2)
				self.assertEqual(earned(member, "Bonus"), 10, f"round {n}: {results}")
				self.assertTrue(all(isinstance(r, str) for r in results), results)


class TestConcurrentReplays(RaceTestCase):
	"""The same call twice at once, as a client retrying a slow request: one result, written once."""

	def test_api_earn(self):
		with committed(programme()):
			member = self.member()
			for n in range(ROUNDS):
				order = self.key("earn", n)
				results = race([lambda: v1.earn(member=member, order_id=order, amount=100)] * 2)
				self.assertTrue(all(isinstance(r, dict) for r in results), f"round {n}: {results}")
				self.assertEqual(results[0]["transaction"], results[1]["transaction"])
			self.assertEqual(earned(member), 100 * ROUNDS)

	def test_api_redeem(self):
		member = self.member(points=1000)
		for n in range(ROUNDS):
			key = self.key("redeem", n)
			results = race([lambda: v1.redeem(member=member, points=10, key=key)] * 2)
			self.assertTrue(all(isinstance(r, dict) for r in results), f"round {n}: {results}")
			self.assertEqual(results[0]["transaction"], results[1]["transaction"])
		self.assertEqual(member_figures(member).points_balance, 1000 - 10 * ROUNDS)

	def test_api_redeem_reward(self):
		member = self.member(points=100 * ROUNDS)
		reward = self.reward()
		for n in range(ROUNDS):
			key = self.key("reward", n)
			results = race([lambda: v1.redeem_reward(member=member, reward=reward, key=key)] * 2)
			self.assertTrue(all(isinstance(r, dict) for r in results), f"round {n}: {results}")
			self.assertEqual(results[0]["redemption"], results[1]["redemption"])
		self.assertEqual(redeemed_by_member(reward, member), ROUNDS)
		self.assertEqual(member_figures(member).points_balance, 0)

	def test_flash_sale_redemption(self):
		member = self.member(points=100 * ROUNDS)
		sale = self.flash_sale(quantity=ROUNDS, per_member_limit=0)
		for n in range(ROUNDS):
			key = self.key("flash", n)
			results = race([lambda: flash.redeem(sale, member, key=key)] * 2)
			self.assertTrue(all(isinstance(r, str) for r in results), f"round {n}: {results}")
			self.assertEqual(results[0], results[1])
		self.assertEqual(frappe.db.get_value("Flash Sale", sale, "sold"), ROUNDS)
		self.assertEqual(member_figures(member).points_balance, 0)

	def test_lottery_entry(self):
		member = self.member(points=10 * ROUNDS)
		name = self.lottery()
		for n in range(ROUNDS):
			key = self.key("draw", n)
			results = race([lambda: lottery.enter(name, member, key=key)] * 2)
			self.assertTrue(all(isinstance(r, str) for r in results), f"round {n}: {results}")
			self.assertEqual(results[0], results[1])
		self.assertEqual(frappe.db.count("Lottery Draw", {"lottery": name}), ROUNDS)
		self.assertEqual(member_figures(member).points_balance, 0)

	def test_event_check_in(self):
		for n in range(ROUNDS):
			member = self.member()
			event = self.fixtures.add("Member Event", make_event(capacity=5, attendance_points=20))
			results = race([lambda: events.check_in(event, member)] * 2)
			self.assertTrue(all(isinstance(r, dict) for r in results), f"round {n}: {results}")
			self.assertEqual(results[0]["registration"], results[1]["registration"])
			self.assertEqual(member_figures(member).points_balance, 20)
			frappe.db.delete("Member Event Registration", {"member_event": event})
