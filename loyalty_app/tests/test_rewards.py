"""Rewards catalog: redemption with stock, coupons and cash, each refusal, cancel."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, today

from loyalty_app.api import v1
from loyalty_app.loyalty.services.ledger import InsufficientPointsError
from loyalty_app.loyalty.services.tiers import ensure_tier
from loyalty_app.rewards.services.redemption import CouponAlreadyUsedError, RewardUnavailableError
from loyalty_app.tests.test_community import make_group
from loyalty_app.tests.utils import (
	TEA,
	as_user,
	assert_ledger_consistent,
	company,
	make_invoice,
	make_member,
	make_user,
	member_figures,
	programme,
)
from loyalty_app.www import my_membership

MUG = "_LP Reward Mug"


def store() -> str:
	return frappe.db.get_value("Warehouse", {"company": company(), "is_group": 0, "warehouse_name": "Stores"})


def stock_item(item_code: str, receive: int = 0) -> str:
	if not frappe.db.exists("Item", item_code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item_code,
				"item_group": "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 1,
			}
		).insert()
	if receive:
		frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": company(),
				"items": [{"item_code": item_code, "qty": receive, "basic_rate": 12, "t_warehouse": store()}],
			}
		).submit()
	return item_code


def stocked_mug() -> str:
	return stock_item(MUG, receive=10)


def in_stock() -> float:
	return flt(frappe.db.get_value("Bin", {"item_code": MUG, "warehouse": store()}, "actual_qty"))


def make_reward(name: str, **fields) -> str:
	if frappe.db.exists("Loyalty Reward", name):
		frappe.delete_doc("Loyalty Reward", name, force=True)
	return frappe.get_doc({"doctype": "Loyalty Reward", "reward_name": name, **fields}).insert().name


def mug_reward(name: str = "_LP Mug for 300", **fields) -> str:
	return make_reward(
		name,
		reward_type="Stock Item",
		points_cost=300,
		item=stocked_mug(),
		source_warehouse=store(),
		**fields,
	)


def redeem(member: str, reward: str, quantity: int = 1, submit: bool = True):
	doc = frappe.get_doc(
		{
			"doctype": "Reward Redemption",
			"member": member,
			"reward": reward,
			"quantity": quantity,
			"company": company(),
		}
	).insert()
	if submit:
		doc.submit()
	return doc


def member_with_points(points: int) -> str:
	member = make_member()
	make_invoice(member, [(TEA, 1, points)])
	return member


def offers(member: str) -> dict[str, tuple]:
	"""(can redeem, reason, message) per reward as the API and the member's portal page show them."""
	api = {
		r["reward"]: (r["can_redeem"], r["reason"], r["reason_message"]) for r in v1.rewards(member=member)
	}
	user = make_user(f"_lp-offers-{member.lower()}@example.com", "Customer")
	frappe.db.set_value("Loyalty Member", member, "user", user)
	with as_user(user):
		context = my_membership.get_context(frappe._dict())
	portal = {r["name"]: (r["can_redeem"], r["reason"], r["reason_message"]) for r in context.rewards}
	return api, portal


class TestRedemption(FrappeTestCase):
	def test_a_reward_the_redemption_would_refuse_is_not_offered_for_the_same_reason(self):
		with programme():
			member = member_with_points(1000)
			limited = make_reward("_LP Once Only", reward_type="Service", points_cost=100, per_member_limit=1)
			redeem(member, limited)
			empty_shelf = make_reward(
				"_LP Empty Shelf",
				reward_type="Stock Item",
				points_cost=10,
				item=stock_item("_LP Never Stocked"),
				source_warehouse=store(),
			)
			open_offer = make_reward("_LP Open Offer", reward_type="Service", points_cost=100)
			dear = make_reward("_LP Dear Offer", reward_type="Service", points_cost=5000)
			api, portal = offers(member)
			refusals = {}
			for reward in (limited, empty_shelf, dear):
				with self.assertRaises(frappe.ValidationError) as refused:
					redeem(member, reward)
				refusals[reward] = str(refused.exception)

		self.assertEqual(
			{reward: api[reward][:2] for reward in (limited, empty_shelf, open_offer, dear)},
			{
				limited: (False, "member_limit_reached"),
				empty_shelf: (False, "out_of_stock"),
				open_offer: (True, None),
				dear: (False, "not_enough_points"),
			},
		)
		for reward in (limited, empty_shelf, open_offer, dear):
			self.assertEqual(portal[reward], api[reward])
		for reward, message in refusals.items():
			self.assertEqual(api[reward][2], message)

	def test_stock_reward_takes_points_fifo_and_issues_stock_then_cancel_restores_both(self):
		with programme():
			member = member_with_points(500)
			reward = mug_reward()
			before = in_stock()
			redemption = redeem(member, reward)

			self.assertEqual(member_figures(member).points_balance, 200)
			entry = frappe.get_doc("Stock Entry", redemption.stock_entry)
			self.assertEqual((entry.docstatus, entry.stock_entry_type), (1, "Material Issue"))
			self.assertEqual(in_stock(), before - 1)
			self.assertEqual(frappe.db.get_value("Loyalty Reward", reward, "redeemed_quantity"), 1)
			self.assertEqual(frappe.get_doc("Loyalty Reward", reward).stock_available, before - 1)

			redemption.cancel()

		self.assertEqual(member_figures(member).points_balance, 500)
		self.assertEqual(frappe.db.get_value("Stock Entry", redemption.stock_entry, "docstatus"), 2)
		self.assertEqual(in_stock(), before)
		self.assertEqual(frappe.db.get_value("Loyalty Reward", reward, "redeemed_quantity"), 0)
		assert_ledger_consistent(self, member)

	def test_each_refusal_names_its_reason_and_takes_no_points(self):
		with programme():
			member = member_with_points(400)
			gold = ensure_tier("_LP Reward Gold", rank=95, entry=10**9)
			cases = {
				"not active": mug_reward("_LP inactive", active=0),
				"can only be redeemed from": mug_reward("_LP expired", valid_to=add_days(today(), -1)),
				"only for tiers": mug_reward("_LP gold only", allowed_tiers=[{"tier": gold}]),
				"are left": mug_reward("_LP sold out", total_quantity=1, redeemed_quantity=0),
				"in stock": make_reward(
					"_LP no stock",
					reward_type="Stock Item",
					points_cost=10,
					item=stock_item("_LP Never Stocked"),
					source_warehouse=store(),
				),
			}
			cases["only for members of community group"] = mug_reward(
				"_LP club only", community_group=make_group("_LP Reward Club")
			)
			frappe.db.set_value("Loyalty Reward", "_LP sold out", "redeemed_quantity", 1)
			for reason, reward in cases.items():
				with self.subTest(reason), self.assertRaisesRegex(RewardUnavailableError, reason):
					redeem(member, reward)
			self.assertEqual(member_figures(member).points_balance, 400)

	def test_balance_and_per_member_limit_refusals(self):
		with programme():
			member = member_with_points(700)
			reward = make_reward(
				"_LP Tea Ceremony", reward_type="Service", points_cost=300, per_member_limit=2
			)
			redeem(member, reward)
			redeem(member, reward)
			with self.assertRaisesRegex(RewardUnavailableError, "may redeem"):
				redeem(member, reward)
			poor = member_with_points(100)
			with self.assertRaises(InsufficientPointsError):
				redeem(poor, reward)
		self.assertEqual(member_figures(member).points_balance, 100)
		self.assertEqual(member_figures(poor).points_balance, 100)

	def test_points_and_cash_reward_invoices_the_cash_part_and_moves_stock(self):
		with programme():
			member = member_with_points(500)
			reward = make_reward(
				"_LP Mug half price",
				reward_type="Points + Cash",
				points_cost=200,
				cash_amount=6,
				item=stocked_mug(),
				source_warehouse=store(),
			)
			before = in_stock()
			redemption = redeem(member, reward, quantity=2)

		invoice = frappe.get_doc("Sales Invoice", redemption.sales_invoice)
		self.assertEqual((invoice.docstatus, invoice.grand_total, invoice.items[0].qty), (1, 12, 2))
		self.assertEqual(in_stock(), before - 2)
		self.assertEqual(redemption.points, 400)
		# 500 - 400 redeemed + 12 earned on the 12 paid in cash
		self.assertEqual(member_figures(member).points_balance, 112)

	def test_coupon_reward_binds_a_code_and_cancel_voids_it_unless_used(self):
		from loyalty_app.tests.test_coupons_and_campaigns import make_campaign

		with programme():
			member = member_with_points(500)
			campaign = make_campaign("_LP Reward Coupons")
			reward = make_reward(
				"_LP 10% coupon", reward_type="Coupon", points_cost=100, coupon_campaign=campaign
			)
			redemption = redeem(member, reward)
			code = frappe.get_doc("Coupon Code", redemption.coupon_code)
			self.assertEqual((code.loyalty_member, code.coupon_type), (member, "Gift Card"))
			redemption.cancel()
			self.assertLess(
				frappe.db.get_value("Coupon Code", code.name, "valid_upto"), frappe.utils.getdate()
			)
			self.assertEqual(member_figures(member).points_balance, 500)

			used = redeem(member, reward)
			frappe.db.set_value("Coupon Code", used.coupon_code, "used", 1)
			with self.assertRaises(CouponAlreadyUsedError):
				used.cancel()
		self.assertEqual(member_figures(member).points_balance, 400)
