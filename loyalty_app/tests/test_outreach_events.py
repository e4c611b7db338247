"""Member events (capacity, check-in, points, community activity, ROI) and member value (CLV)."""

from decimal import Decimal

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, getdate, today

from loyalty_app.community.services.groups import join
from loyalty_app.engine.value import SaleLine, lifetime_value
from loyalty_app.outreach.services import events
from loyalty_app.outreach.services.value import refresh_member_value
from loyalty_app.tests.test_community import make_group
from loyalty_app.tests.test_lifecycle import set_history
from loyalty_app.tests.test_rewards import stock_item, store
from loyalty_app.tests.utils import (
	TEA,
	company,
	customer_of,
	ensure_items,
	ledger,
	make_invoice,
	make_member,
	programme,
)

VASE = "_LP Reach Vase"


def make_event(**fields) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Member Event",
				"event_name": "Spring tea salon",
				"company": company(),
				"starts_on": f"{today()} 14:00:00",
				"venue_type": "Store",
				**fields,
			}
		)
		.insert()
		.name
	)


def sale_on(member: str, day, amount: float):
	return make_invoice(member, [(TEA, 1, amount)], posting_date=day, set_posting_time=1)


class TestMemberEvents(FrappeTestCase):
	def test_capacity_is_enforced(self):
		event = make_event(capacity=2)
		first, second, third = (make_member() for _ in range(3))
		events.register(event, first)
		events.register(event, second)
		self.assertEqual(events.register(event, first), events.register(event, first))  # idempotent
		with self.assertRaises(events.EventFullError):
			events.register(event, third)
		with self.assertRaises(events.EventFullError):
			events.check_in(event, third)  # a walk-in needs a free seat too
		self.assertEqual(frappe.db.count("Member Event Registration", {"member_event": event}), 2)

	def test_check_in_awards_points_once_and_logs_community_activity(self):
		with programme():
			group = make_group("_LP Reach Salon Club")
			event = make_event(attendance_points=50, community_group=group)
			member = make_member()
			join(group, member)
			first = events.check_in(event, member)
			again = events.check_in(event, member)
		self.assertEqual((first["points_awarded"], first["already_checked_in"]), (50, False))
		self.assertTrue(again["already_checked_in"])
		bonuses = ledger(member, voucher_type="Member Event", voucher_no=event)
		self.assertEqual([row.points for row in bonuses], [50])
		self.assertEqual(frappe.db.get_value("Loyalty Member", member, "points_balance"), 50)
		self.assertEqual(
			frappe.db.count(
				"Community Activity",
				{"member": member, "community_group": group, "activity_type": "Event attendance"},
			),
			1,
		)
		doc = frappe.get_doc("Member Event", event)
		self.assertEqual((doc.registered_count, doc.attended_count), (1, 1))

	def test_an_at_risk_member_who_comes_to_an_event_is_back_in_touch(self):
		member = make_member()
		set_history(member, 3, 200, 120, "At risk")
		with programme():
			events.check_in(make_event(), member)
		self.assertEqual(
			frappe.db.get_value("Loyalty Member", member, ["lifecycle_stage", "last_event_attended"]),
			("Won back", getdate()),
		)
		self.assertTrue(
			frappe.db.exists("Lifecycle Stage Change", {"member": member, "to_stage": "Won back"})
		)

	def test_roi_is_attributed_revenue_less_cost_over_cost(self):
		start = getdate(add_days(today(), -10))
		event = make_event(starts_on=f"{start} 14:00:00", attribution_days=7, actual_cost=300, budget=500)
		alice, bob, carol = (make_member() for _ in range(3))
		for member in (alice, bob):
			events.check_in(event, member)
		events.register(event, carol)  # registered, never came
		frappe.db.set_value(
			"Member Event Registration", {"member": alice, "member_event": event}, "satisfaction", 4
		)
		frappe.db.set_value(
			"Member Event Registration", {"member": bob, "member_event": event}, "satisfaction", 5
		)
		sale_on(alice, add_days(start, 1), 250)
		sale_on(alice, start, 50)
		sale_on(bob, add_days(start, 7), 100)  # last day of the period
		sale_on(alice, add_days(start, 8), 999)  # too late
		sale_on(carol, add_days(start, 1), 500)  # did not attend
		sale_on(bob, add_days(start, -1), 700)  # before the event
		results = events.refresh_results(event)
		revenue, cost = Decimal("400"), Decimal("300")
		self.assertEqual(results["attributed_revenue"], 400)
		expected = flt((revenue - cost) / cost * 100, 4)
		self.assertEqual(flt(frappe.db.get_value("Member Event", event, "roi"), 4), expected)
		self.assertAlmostEqual(expected, 33.3333, places=4)
		self.assertEqual(results["satisfaction"], 4.5)

	def test_no_cost_no_roi(self):
		event = make_event(actual_cost=0)
		self.assertIsNone(events.refresh_results(event)["roi"])


class TestMemberValue(FrappeTestCase):
	def test_lifetime_value_is_margin_where_valuation_exists_else_revenue(self):
		ensure_items()
		stock_item(VASE, receive=20)  # received at 12 each
		member = make_member(channel="Web shop")
		invoice = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"company": company(),
				"customer": customer_of(member),
				"update_stock": 1,
				"items": [
					{"item_code": VASE, "qty": 2, "rate": 30, "warehouse": store()},
					{"item_code": TEA, "qty": 1, "rate": 50},
				],
			}
		)
		invoice.set_missing_values()
		invoice.insert()
		invoice.submit()
		rates = {
			row.item_code: row.incoming_rate for row in frappe.get_doc("Sales Invoice", invoice.name).items
		}
		self.assertEqual((rates[VASE], rates[TEA]), (12, 0))
		refresh_member_value()
		value = frappe.db.get_value(
			"Loyalty Member",
			member,
			["customer_lifetime_value", "lifetime_revenue", "value_refreshed_on"],
			as_dict=True,
		)
		# by hand: vases 2 × 30 − 2 × 12 = 36, tea (no valuation) 50 → 86; revenue 60 + 50 = 110
		self.assertEqual((value.customer_lifetime_value, value.lifetime_revenue), (86, 110))
		self.assertEqual(getdate(value.value_refreshed_on), getdate())
		lines = [SaleLine(Decimal("60"), Decimal("2"), Decimal("12")), SaleLine(Decimal("50"))]
		self.assertEqual(lifetime_value(lines), Decimal("86.00"))
