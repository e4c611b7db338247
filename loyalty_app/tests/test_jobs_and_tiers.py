"""Scheduled jobs (expiry, reminders, tier review) and tier upgrades at the till."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months, getdate, today

from loyalty_app.api import v1
from loyalty_app.loyalty.services.audit import find_breaks
from loyalty_app.loyalty.services.expiry import expire_points, refresh_expiry_reminders
from loyalty_app.loyalty.services.ledger import Voucher, credit, debit
from loyalty_app.loyalty.services.tiers import ensure_tier, review_tiers
from loyalty_app.tests.utils import (
	TEA,
	assert_ledger_consistent,
	company,
	ledger,
	ledger_webhook,
	make_invoice,
	make_member,
	member_figures,
	programme,
)

LADDER = ("_LP Silver", "_LP Gold")


def remove_tier_ladder() -> None:
	"""The jobs commit, so the ladder must not outlive the tests that use it."""
	frappe.db.delete("Membership Tier", {"name": ("in", LADDER)})
	frappe.db.commit()  # nosemgrep


def tier_ladder() -> tuple[str, str]:
	remove_tier_ladder()
	silver = ensure_tier("_LP Silver", rank=10, entry=100, retention=80, gift=50)
	gold = ensure_tier("_LP Gold", rank=20, entry=500, retention=400)
	return silver, gold


class TestExpiry(FrappeTestCase):
	def setUp(self):
		remove_tier_ladder()

	def test_expired_lots_post_one_entry_per_member_and_a_rerun_posts_nothing(self):
		member = make_member()
		with programme(expiry_months=12):
			old = make_invoice(member, [(TEA, 1, 70)])
			make_invoice(member, [(TEA, 1, 30)])
			debit(member, 20, "Redeem", Voucher("Loyalty Member", member), key=f"_lp-spend-{member}")
		run_on = add_months(today(), 13)

		first = expire_points(run_on)
		again = expire_points(run_on)

		[expiry] = ledger(member, entry_type="Expire")
		self.assertEqual(expiry.points, -80)
		self.assertEqual(member_figures(member).points_balance, 0)
		lots = frappe.get_all(
			"Points Ledger Allocation",
			filters={"parent": expiry.name},
			fields=["lot", "points"],
			order_by="idx",
		)
		self.assertEqual(lots[0].lot, ledger(member, voucher_no=old.name)[0].name)
		self.assertEqual([lot.points for lot in lots], [50, 30])
		self.assertGreaterEqual(first["points"], 80)
		self.assertEqual(again, {"members": 0, "lots": 0, "points": 0})
		assert_ledger_consistent(self, member)

	def test_expiry_entries_carry_the_company_of_their_lots_and_reach_webhooks(self):
		member = make_member()
		with programme(expiry_months=12), ledger_webhook() as received:
			make_invoice(member, [(TEA, 1, 70)])
			bonus = credit(member, 30, "Bonus", Voucher("Loyalty Member", member), key=f"_lp-nc-{member}")
			expire_points(add_months(today(), 13))
		expiries = {
			entry.company: (
				entry.points,
				set(frappe.get_all("Points Ledger Allocation", {"parent": entry.name}, pluck="lot")),
			)
			for entry in frappe.get_all(
				"Points Ledger Entry",
				{"member": member, "entry_type": "Expire"},
				["name", "points", "company"],
			)
		}
		invoice_lot = ledger(member, entry_type="Earn")[0].name
		self.assertEqual(expiries, {company(): (-70, {invoice_lot}), None: (-30, {bonus})})
		expired = {row["entry"] for row in received if row["entry_type"] == "Expire"}
		self.assertEqual(
			expired,
			set(
				frappe.get_all(
					"Points Ledger Entry", {"member": member, "entry_type": "Expire"}, pluck="name"
				)
			),
		)
		assert_ledger_consistent(self, member)
		self.assertEqual([b for b in find_breaks() if b.member == member], [])

	def test_points_are_spendable_on_their_expiry_date_and_expire_the_day_after(self):
		member = make_member()
		with programme(expiry_months=1):
			make_invoice(member, [(TEA, 1, 10)])
		expiry_date = ledger(member)[0].expiry_date

		expire_points(expiry_date)
		self.assertEqual(member_figures(member).points_balance, 10)
		expire_points(add_days(expiry_date, 1))
		self.assertEqual(member_figures(member).points_balance, 0)

	def test_reminder_figures_show_what_expires_within_the_horizon(self):
		member = make_member()
		with programme(expiry_months=1, expiry_reminder_days=45):
			make_invoice(member, [(TEA, 1, 25)])
			refresh_expiry_reminders()
		figures = frappe.db.get_value(
			"Loyalty Member", member, ["points_expiring_soon", "next_points_expiry"], as_dict=True
		)
		self.assertEqual(figures.points_expiring_soon, 25)
		self.assertEqual(figures.next_points_expiry, getdate(add_days(add_months(today(), 1), -1)))
		self.assertTrue(frappe.db.exists("Notification", "Points Expiring Soon"))

		with programme(expiry_months=1, expiry_reminder_days=5):
			refresh_expiry_reminders()
		self.assertEqual(frappe.db.get_value("Loyalty Member", member, "points_expiring_soon"), 0)


class TestTiers(FrappeTestCase):
	def tearDown(self):
		remove_tier_ladder()

	def test_a_sale_that_crosses_the_threshold_upgrades_at_once_and_posts_the_gift(self):
		silver, _gold = tier_ladder()
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 60)])
			self.assertIsNone(member_figures(member).tier)
			make_invoice(member, [(TEA, 1, 60)])

		self.assertEqual(member_figures(member).tier, silver)
		gift = ledger(member, entry_type="Bonus")
		self.assertEqual([g.points for g in gift], [50])
		self.assertEqual(member_figures(member).points_balance, 170)
		change = frappe.get_all(
			"Member Tier Change", filters={"member": member}, fields=["change_type", "to_tier"]
		)
		self.assertEqual([(c.change_type, c.to_tier) for c in change], [("Upgrade", silver)])

	def test_review_keeps_grants_grace_then_drops_one_tier(self):
		silver, gold = tier_ladder()
		keeper, slipper = make_member(), make_member()
		with programme(downgrade_grace_days=30, qualification_months=12):
			make_invoice(keeper, [(TEA, 1, 600)])
			make_invoice(slipper, [(TEA, 1, 600)])
			self.assertEqual(member_figures(slipper).tier, gold)
			# a year later the keeper spent enough again, the slipper did not
			for member in (keeper, slipper):
				frappe.db.set_value("Loyalty Member", member, "tier_valid_until", add_days(today(), -1))
			frappe.db.sql(
				"update `tabPoints Ledger Entry` set posting_datetime = posting_datetime - interval 400 day where member = %s",
				slipper,
			)

			review_tiers()
			self.assertEqual((member_figures(keeper).tier, member_figures(slipper).tier), (gold, gold))
			self.assertTrue(frappe.db.get_value("Loyalty Member", slipper, "tier_in_grace"))

			review_tiers()  # nothing is due again until the grace ends
			review_tiers(add_days(today(), 31))

		self.assertEqual(member_figures(slipper).tier, silver)
		self.assertEqual(member_figures(keeper).tier, gold)
		changes = frappe.get_all(
			"Member Tier Change",
			filters={"member": slipper},
			fields=["change_type", "to_tier"],
			order_by="creation",
		)
		self.assertEqual(
			[(c.change_type, c.to_tier) for c in changes],
			[("Upgrade", gold), ("Grace", gold), ("Downgrade", silver)],
		)

	def test_a_calendar_year_tier_is_kept_or_lost_on_the_finished_year(self):
		_silver, gold = tier_ladder()
		year = getdate(today()).year
		keeper, slipper = make_member(), make_member()
		with programme(qualification_window="Calendar year", downgrade_grace_days=30):
			make_invoice(keeper, [(TEA, 1, 600)])
			make_invoice(slipper, [(TEA, 1, 600)])
			# the slipper's purchase was last year: nothing qualifies them in the finished year
			frappe.db.sql(
				"update `tabPoints Ledger Entry` set posting_datetime = posting_datetime - interval 1 year where member = %s",
				slipper,
			)
			new_year = getdate(f"{year + 1}-01-01")
			review_tiers(new_year)
			kept = frappe.db.get_value(
				"Loyalty Member", keeper, ["tier", "tier_in_grace", "tier_valid_until"]
			)
			slipper_on_new_year = frappe.db.get_value("Loyalty Member", slipper, ["tier", "tier_in_grace"])
			# in grace, the slipper spends enough in January: the finished year plus the grace days count
			frappe.db.sql(
				"""update `tabPoints Ledger Entry` set posting_datetime = %s
				where member = %s and entry_type = 'Earn'""",
				(f"{year + 1}-01-10 12:00:00", slipper),
			)
			review_tiers(add_days(new_year, 30))

		self.assertEqual(kept, (gold, 0, getdate(f"{year + 1}-12-31")))
		self.assertEqual(slipper_on_new_year, (gold, 1))
		self.assertEqual(frappe.db.get_value("Loyalty Member", slipper, ["tier", "tier_in_grace"]), (gold, 0))

	def test_review_never_upgrades(self):
		silver, _gold = tier_ladder()
		member = make_member()
		with programme():
			make_invoice(member, [(TEA, 1, 150)])
			frappe.db.set_value("Loyalty Member", member, "tier_valid_until", add_days(today(), -1))
			frappe.db.sql(
				"update `tabPoints Ledger Entry` set qualifying_points = 900 where member = %s", member
			)
			review_tiers()
		self.assertEqual(member_figures(member).tier, silver)


class TestBackDatedOrders(FrappeTestCase):
	def test_an_order_whose_points_would_already_have_expired_is_refused(self):
		with programme(expiry_months=12):
			member = make_member()
			frappe.db.commit()  # nosemgrep: a refused API call rolls back
			too_old = v1.earn(
				member=member, order_id=f"_lp-old-{member}", amount=100, order_date=add_months(today(), -13)
			)
			refusal = (
				frappe.local.response.pop("http_status_code"),
				frappe.local.response.pop("error")["code"],
			)
			order_date = add_months(today(), -2)
			late = v1.earn(member=member, order_id=f"_lp-late-{member}", amount=100, order_date=order_date)

		self.assertIsNone(too_old)
		self.assertEqual(refusal, (422, "order_too_old"))
		self.assertEqual(late["points"], 100)
		(lot,) = ledger(member, entry_type="Earn")
		self.assertEqual(lot.expiry_date, getdate(add_days(add_months(order_date, 12), -1)))
