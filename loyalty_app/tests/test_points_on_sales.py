"""Points earned, redeemed, reversed and taken back by real ERPNext sales and POS invoices."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months, getdate, today

from loyalty_app.integrations.erpnext import invoice_on_submit
from loyalty_app.loyalty.services.ledger import InsufficientPointsError, PointsShortfallError
from loyalty_app.loyalty.services.tiers import ensure_tier
from loyalty_app.tests.utils import (
	BRAND,
	BRANDED_TEA,
	GIFT_CARD,
	ITEM_GROUP_TEA,
	TEA,
	assert_ledger_consistent,
	ledger,
	make_invoice,
	make_member,
	make_return,
	member_figures,
	programme,
)


def make_rule(name: str, **fields) -> str:
	if frappe.db.exists("Earning Rule", name):
		frappe.delete_doc("Earning Rule", name)
	return frappe.get_doc({"doctype": "Earning Rule", "rule_name": name, **fields}).insert().name


class TestEarning(FrappeTestCase):
	def setUp(self):
		frappe.db.delete("Earning Rule")

	def test_sale_earns_points_rounded_down_once_on_the_invoice_total(self):
		member = make_member()
		with programme(points_per_currency_unit=1):
			invoice = make_invoice(member, [(TEA, 1, 33.33), (TEA, 2, 33.33)])  # 99.99

		[entry] = ledger(member)
		self.assertEqual((entry.entry_type, entry.points, entry.remaining_points), ("Earn", 99, 99))
		self.assertEqual(entry.expiry_date, getdate(add_days(add_months(today(), 12), -1)))
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "loyalty_points_earned"), 99)
		figures = member_figures(member)
		self.assertEqual(
			(figures.points_balance, figures.lifetime_earned, figures.purchase_count), (99, 99, 1)
		)
		self.assertAlmostEqual(figures.total_spend, 99.99)

	def test_tier_multiplier_and_stacked_item_group_and_brand_rules(self):
		member = make_member()
		gold = ensure_tier("_LP Gold x2", rank=90, entry=10**9, multiplier=2)
		frappe.db.set_value("Loyalty Member", member, "tier", gold)
		make_rule("_LP tea x3", item_group=ITEM_GROUP_TEA, multiplier=3, priority=10, stackable=1)
		make_rule("_LP brand x1.5", brand=BRAND, multiplier=1.5, priority=5, stackable=1)
		with programme(points_per_currency_unit=1):
			make_invoice(member, [(TEA, 1, 10), (BRANDED_TEA, 1, 10), (GIFT_CARD, 1, 10)])

		# tea 10×3×2 = 60, branded tea 10×3×1.5×2 = 90, gift card 10×2 = 20
		self.assertEqual(ledger(member)[0].points, 170)

	def test_excluded_lines_and_out_of_date_rules_earn_nothing_extra(self):
		member = make_member()
		make_rule("_LP no gift cards", item_code=GIFT_CARD, excludes=1)
		make_rule("_LP expired double", multiplier=2, valid_from="2020-01-01", valid_to="2020-12-31")
		with programme(points_per_currency_unit=1):
			make_invoice(member, [(TEA, 1, 50), (GIFT_CARD, 1, 100)])

		self.assertEqual(ledger(member)[0].points, 50)

	def test_daily_cap_limits_points_but_spend_still_counts(self):
		member = make_member()
		with programme(points_per_currency_unit=1, max_points_per_day=120):
			make_invoice(member, [(TEA, 1, 100)])
			make_invoice(member, [(TEA, 1, 100)])
			make_invoice(member, [(TEA, 1, 100)])

		self.assertEqual([e.points for e in ledger(member)], [100, 20, 0])
		figures = member_figures(member)
		self.assertEqual(figures.points_balance, 120)
		self.assertAlmostEqual(figures.total_spend, 300)

	def test_submit_event_fired_twice_earns_once(self):
		member = make_member()
		with programme():
			invoice = make_invoice(member, [(TEA, 1, 80)])
			invoice_on_submit(invoice)

		self.assertEqual([e.points for e in ledger(member)], [80])
		self.assertEqual(member_figures(member).points_balance, 80)

	def test_a_frozen_members_sale_goes_through_and_earns_nothing(self):
		member = make_member()
		frappe.db.set_value("Loyalty Member", member, "status", "Frozen")
		with programme():
			invoice = make_invoice(member, [(TEA, 1, 100)])
		self.assertEqual(invoice.docstatus, 1)
		self.assertEqual(ledger(member), [])
		self.assertEqual(member_figures(member).purchase_count, 1)

	def test_customer_without_membership_earns_nothing(self):
		from loyalty_app.tests.utils import company

		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "_LP Walk-in",
				"customer_group": "All Customer Groups",
				"territory": "All Territories",
			}
		).insert()
		invoice = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"company": company(),
				"customer": customer.name,
				"items": [{"item_code": TEA, "qty": 1, "rate": 10}],
			}
		).insert()
		invoice.submit()
		self.assertFalse(invoice.loyalty_member)
		self.assertFalse(frappe.db.exists("Points Ledger Entry", {"voucher_no": invoice.name}))


class TestCancelAndReturn(FrappeTestCase):
	def test_cancel_reverses_exactly_what_the_invoice_earned(self):
		member = make_member()
		with programme():
			keep = make_invoice(member, [(TEA, 1, 40)])
			invoice = make_invoice(member, [(TEA, 1, 60)])
			invoice.cancel()

		self.assertEqual([e.points for e in ledger(member)], [40, 60, -60])
		figures = member_figures(member)
		self.assertEqual(
			(figures.points_balance, figures.lifetime_earned, figures.purchase_count), (40, 40, 1)
		)
		self.assertEqual(ledger(member, voucher_no=keep.name)[0].remaining_points, 40)
		assert_ledger_consistent(self, member)

	def test_partial_returns_take_back_pro_rata_and_a_full_return_takes_back_all(self):
		member = make_member()
		with programme(points_per_currency_unit=1, rounding="Round Down"):
			invoice = make_invoice(member, [(TEA, 3, 33.33)])  # 99.99 -> 99 points
			make_return(invoice, {TEA: 1})  # a third: 33 points
			self.assertEqual(member_figures(member).points_balance, 66)
			make_return(invoice, {TEA: 2})  # the rest

		self.assertEqual(member_figures(member).points_balance, 0)
		self.assertEqual([e.points for e in ledger(member)], [99, -33, -66])
		assert_ledger_consistent(self, member)

	def test_return_of_spent_points_is_blocked_and_changes_nothing(self):
		member = make_member()
		with programme(return_shortfall="Block the return", point_value=1):
			invoice = make_invoice(member, [(TEA, 1, 100)])
			make_invoice(member, [(TEA, 1, 100)], doctype="POS Invoice", loyalty_points_redeemed=90)
			before = ledger(member)
			with self.assertRaises(PointsShortfallError):
				make_return(invoice, {TEA: 1})

		self.assertEqual(ledger(member), before)

	def test_return_of_spent_points_posts_debt_that_the_next_sale_settles(self):
		member = make_member()
		with programme(return_shortfall="Allow and post a debt", point_value=1):
			invoice = make_invoice(member, [(TEA, 1, 100)])
			make_invoice(member, [(TEA, 1, 100)], doctype="POS Invoice", loyalty_points_redeemed=90)
			# the POS sale earned 10 points on the 10 paid in cash
			make_return(invoice, {TEA: 1})
			figures = member_figures(member)
			# the balance counts the debt: 10 points in lots less 90 owed
			self.assertEqual((figures.points_balance, figures.points_debt), (-80, 90))
			assert_ledger_consistent(self, member)
			with self.assertRaises(InsufficientPointsError):
				make_invoice(member, [(TEA, 1, 10)], doctype="POS Invoice", loyalty_points_redeemed=5)
			make_invoice(member, [(TEA, 1, 200)])

		figures = member_figures(member)
		self.assertEqual((figures.points_balance, figures.points_debt), (120, 0))
		assert_ledger_consistent(self, member)

	def test_cancelling_a_return_gives_the_points_back(self):
		member = make_member()
		with programme():
			invoice = make_invoice(member, [(TEA, 2, 50)])
			credit_note = make_return(invoice, {TEA: 1})
			credit_note.cancel()

		self.assertEqual(member_figures(member).points_balance, 100)
		assert_ledger_consistent(self, member)


class TestRedemption(FrappeTestCase):
	def test_pos_invoice_pays_with_points_from_the_oldest_lots_and_cancel_restores_them(self):
		member = make_member()
		with programme(points_per_currency_unit=1, point_value=0.1):
			first = make_invoice(member, [(TEA, 1, 50)])
			second = make_invoice(member, [(TEA, 1, 70)])
			paying = make_invoice(member, [(TEA, 1, 30)], doctype="POS Invoice", loyalty_points_redeemed=80)

			payment = next(p for p in paying.payments if p.mode_of_payment == "Loyalty Points")
			self.assertAlmostEqual(payment.amount, 8.0)
			remaining = {e.voucher_no: e.remaining_points for e in ledger(member, entry_type="Earn")}
			self.assertEqual((remaining[first.name], remaining[second.name]), (0, 40))
			# 30 - 8 paid by points = 22 paid in money earns 22
			self.assertEqual(ledger(member, voucher_no=paying.name, entry_type="Earn")[0].points, 22)
			self.assertEqual(member_figures(member).points_balance, 50 + 70 - 80 + 22)

			paying.cancel()

		remaining = {e.voucher_no: e.remaining_points for e in ledger(member, entry_type="Earn")}
		self.assertEqual((remaining[first.name], remaining[second.name]), (50, 70))
		figures = member_figures(member)
		self.assertEqual((figures.points_balance, figures.lifetime_redeemed), (120, 0))
		assert_ledger_consistent(self, member)

	def test_returning_a_pos_invoice_paid_with_points_gives_those_points_back(self):
		from erpnext.controllers.sales_and_purchase_return import make_return_doc

		member = make_member()
		with programme(points_per_currency_unit=1, point_value=1):
			make_invoice(member, [(TEA, 1, 100)])
			paying = make_invoice(member, [(TEA, 1, 100)], doctype="POS Invoice", loyalty_points_redeemed=50)
			self.assertEqual(member_figures(member).points_balance, 100 - 50 + 50)
			credit_note = make_return_doc("POS Invoice", paying.name)
			refund = {"Cash": -50, "Loyalty Points": -50}
			for payment in credit_note.payments:
				payment.amount = refund.pop(payment.mode_of_payment, 0)
			credit_note.insert()
			credit_note.submit()

		# the 50 earned on the cash part are taken back, the 50 paid in points come back
		self.assertEqual(member_figures(member).points_balance, 100)
		assert_ledger_consistent(self, member)

	def test_redeeming_more_than_the_balance_is_refused_and_changes_nothing(self):
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 50)])
			with self.assertRaises(InsufficientPointsError):
				make_invoice(member, [(TEA, 1, 30)], doctype="POS Invoice", loyalty_points_redeemed=51)

		self.assertEqual(member_figures(member).points_balance, 50)
		self.assertEqual(len(ledger(member)), 1)

	def test_expired_points_cannot_be_redeemed(self):
		from loyalty_app.loyalty.services.ledger import Voucher, debit

		member = make_member()
		with programme(expiry_months=1):
			make_invoice(member, [(TEA, 1, 50)])
			with self.assertRaises(InsufficientPointsError):
				debit(
					member,
					10,
					"Redeem",
					Voucher("Loyalty Member", member),
					key="_lp-late",
					posting_datetime=add_months(today(), 2),
				)

	def test_sales_invoice_without_pos_payment_cannot_redeem(self):
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 50)])
			with self.assertRaises(frappe.ValidationError):
				make_invoice(member, [(TEA, 1, 30)], loyalty_points_redeemed=10)


class TestConsolidation(FrappeTestCase):
	def test_closing_the_till_consolidates_pos_invoices_without_earning_twice(self):
		from erpnext.accounts.doctype.pos_closing_entry.pos_closing_entry import (
			make_closing_entry_from_opening,
		)

		member = make_member()
		till = f"_LP Closing Till {frappe.generate_hash(length=6)}"
		with programme(point_value=1):
			make_invoice(member, [(TEA, 1, 20)])
			pos_invoice = make_invoice(
				member, [(TEA, 1, 45)], doctype="POS Invoice", pos_profile=till, loyalty_points_redeemed=20
			)
			opening = frappe.get_doc(
				"POS Opening Entry", {"pos_profile": till, "status": "Open", "docstatus": 1}
			)
			closing = make_closing_entry_from_opening(opening)
			closing.insert()
			closing.submit()

		consolidated = frappe.db.get_value("POS Invoice", pos_invoice.name, "consolidated_invoice")
		self.assertTrue(consolidated)
		self.assertFalse(frappe.db.exists("Points Ledger Entry", {"voucher_no": consolidated}))
		# 20 earned, 20 redeemed, 25 earned on the 25 paid in cash
		self.assertEqual(member_figures(member).points_balance, 25)
		self.assertEqual(member_figures(member).purchase_count, 2)
		paid_in_points = frappe.db.get_value(
			"Sales Invoice Payment", {"parent": consolidated, "mode_of_payment": "Loyalty Points"}, "amount"
		)
		self.assertEqual(paid_in_points, 20)
