"""RFM segments, churn warning with win-back offers, and the points liability report."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from loyalty_app.engine.rfm import Segment, segment
from loyalty_app.insight.report.churn_warning.churn_warning import execute as churn_warning
from loyalty_app.insight.report.points_liability.points_liability import execute as points_liability
from loyalty_app.insight.report.rfm_grid.rfm_grid import execute as rfm_grid
from loyalty_app.insight.services.lifecycle import refresh_stages
from loyalty_app.insight.services.rfm import refresh_rfm
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign
from loyalty_app.tests.test_lifecycle import set_history
from loyalty_app.tests.test_member_reports import test_store
from loyalty_app.tests.utils import TEA, company, make_invoice, make_member, programme


class TestRFM(FrappeTestCase):
	def test_segments_follow_the_engine_and_reward_recent_frequent_big_spenders(self):
		with programme():
			champion = make_member()
			for _ in range(6):
				make_invoice(champion, [(TEA, 1, 5000)])
			gone = make_member()
			make_invoice(gone, [(TEA, 1, 10)])
			frappe.db.sql(
				"update `tabSales Invoice` set posting_date = posting_date - interval 400 day where loyalty_member = %s",
				gone,
			)
			refresh_rfm()

		members = frappe.get_all(
			"Loyalty Member",
			filters={"rfm_scores": ("is", "set")},
			fields=["name", "rfm_scores", "rfm_segment"],
		)
		self.assertTrue(members)
		for member in members:
			r, f, m = (int(score) for score in member.rfm_scores.split("-"))
			self.assertEqual(member.rfm_segment, segment(r, f, m).value, member.name)
		self.assertEqual(
			frappe.db.get_value("Loyalty Member", champion, "rfm_segment"), Segment.CHAMPIONS.value
		)
		self.assertEqual(
			frappe.db.get_value("Loyalty Member", gone, ["rfm_segment", "rfm_scores"]), ("Lost", None)
		)

	def test_quintiles_on_a_hand_scored_data_set(self):
		"""Ten members, two per quintile of each dimension, in a window of their own (the year 2090).

		Frequency is the purchase count, monetary the spend in the window (both from the invoices), recency the last purchase
		(5 = most recent). Expected scores and segments are worked out by hand from the table below.
		"""
		scored_on = getdate("2090-06-30")
		# name: (days since the last purchase, purchases, total spend, expected "r-f-m", expected segment)
		data_set = {
			"A": (1, 5, 600, "5-5-5", "Champions"),
			"B": (1, 1, 120, "5-1-1", "New"),
			"C": (30, 4, 480, "4-4-4", "Champions"),
			"D": (30, 2, 240, "4-2-2", "Potential"),
			"E": (60, 3, 480, "3-3-4", "Loyal"),
			"F": (60, 1, 240, "3-1-2", "Potential"),
			"G": (120, 5, 600, "2-5-5", "Can't lose"),
			"H": (120, 3, 120, "2-3-1", "At risk"),
			"I": (200, 2, 360, "1-2-3", "Lost"),
			"J": (200, 4, 360, "1-4-3", "At risk"),
		}
		members, store = {}, test_store()
		with programme(rfm_window_months=12):
			for label, (days_ago, purchases, spend, _scores, _segment) in data_set.items():
				members[label] = make_member(member_name=f"RFM {label}", home_store=store)
				for purchase in range(purchases):
					invoice = make_invoice(members[label], [(TEA, 1, spend / purchases)])
					frappe.db.sql(
						"update `tabSales Invoice` set posting_date = %s where name = %s",
						(add_days(scored_on, -(days_ago + 2 * purchase)), invoice.name),
					)
			try:
				self.assertEqual(refresh_rfm(scored_on), len(data_set))
				for label, (*_figures, scores, expected_segment) in data_set.items():
					self.assertEqual(
						frappe.db.get_value("Loyalty Member", members[label], ["rfm_scores", "rfm_segment"]),
						(scores, expected_segment),
						label,
					)
				# the grid counts the same members: recency 5 holds A (f5) and B (f1), recency 1 holds I and J
				_columns, grid = rfm_grid({"store": store})
				by_recency = {row["recency"]: row for row in grid}
				self.assertEqual((by_recency[5]["f5"], by_recency[5]["f1"], by_recency[5]["f3"]), (1, 1, 0))
				self.assertEqual((by_recency[1]["f2"], by_recency[1]["f4"], by_recency[1]["m4"]), (1, 1, 3.0))
				self.assertEqual(sum(row[f"f{f}"] for row in grid for f in range(1, 6)), len(data_set))
			finally:
				# refresh_rfm commits: bring the data set back to today so a rerun's window holds only its own
				frappe.db.sql(
					"update `tabSales Invoice` set posting_date = curdate() where loyalty_member in %s",
					[tuple(members.values())],
				)
				refresh_rfm()

	def test_members_with_the_same_figures_get_the_same_scores(self):
		"""Three members in a window of their own (2092): two alike and one who spent more. NTILE split the
		two alike into quintiles 1 and 2 by member name; counted with ties both score 4 (2 of 3 at or below)."""
		scored_on = getdate("2092-06-30")
		members = {}
		with programme(rfm_window_months=12):
			for label, spend in (("twin 1", 100), ("twin 2", 100), ("bigger", 200)):
				members[label] = make_member(member_name=f"RFM {label}")
				invoice = make_invoice(members[label], [(TEA, 1, spend)])
				frappe.db.set_value("Sales Invoice", invoice.name, "posting_date", add_days(scored_on, -10))
			try:
				self.assertEqual(refresh_rfm(scored_on), 3)
				scores = {
					label: frappe.db.get_value("Loyalty Member", member, "rfm_scores")
					for label, member in members.items()
				}
				self.assertEqual(scores, {"twin 1": "5-5-4", "twin 2": "5-5-4", "bigger": "5-5-5"})
			finally:
				frappe.db.sql(
					"update `tabSales Invoice` set posting_date = curdate() where loyalty_member in %s",
					[tuple(members.values())],
				)
				refresh_rfm()


class TestChurnWarning(FrappeTestCase):
	def test_new_at_risk_members_are_listed_with_a_reason_and_offered_a_win_back_code_once(self):
		campaign = make_campaign("_LP Win Back Offer")
		member = make_member(marketing_consent=1)
		set_history(member, 3, 200, 120, "Active")
		with programme(win_back_campaign=campaign, win_back_cooldown_days=90):
			refresh_stages()
			_columns, rows = churn_warning({"from_date": today(), "to_date": today()})
			ours = [row for row in rows if row.member == member]
			self.assertEqual(len(ours), 1)
			self.assertTrue(ours[0].reason.startswith("No purchase for 120 days"))
			codes = frappe.get_all(
				"Coupon Code", filters={"coupon_campaign": campaign, "loyalty_member": member}
			)
			self.assertEqual(len(codes), 1)
			# back to active and at risk again within the cool-down: no second code
			frappe.db.set_value("Loyalty Member", member, "lifecycle_stage", "Active")
			refresh_stages(add_days(today(), 1))
		self.assertEqual(
			frappe.db.count("Coupon Code", {"coupon_campaign": campaign, "loyalty_member": member}), 1
		)


class TestPointsLiability(FrappeTestCase):
	def test_earned_is_labelled_gross_and_a_cancelled_sale_still_counts_in_it(self):
		with programme(point_value=0.1):
			member = make_member()
			invoice = make_invoice(member, [(TEA, 1, 300)])
			invoice.reload()
			invoice.cancel()
			_columns, _rows, _message, _chart, summary = points_liability(
				{"from_date": today(), "to_date": today()}
			)
		labels = [s["label"] for s in summary]
		self.assertNotIn("Earned", labels)
		self.assertNotIn("Redeemed", labels)
		self.assertIn("Redeemed (before restores)", labels)
		earned = frappe.db.sql(
			"""select sum(points) from `tabPoints Ledger Entry` where entry_type in ('Earn', 'Bonus')
			and date(posting_datetime) = %s""",
			today(),
		)[0][0]
		self.assertEqual(next(s["value"] for s in summary if s["label"].startswith("Earned")), earned)
		self.assertEqual(frappe.db.get_value("Loyalty Member", member, "points_balance"), 0)

	def test_outstanding_points_reconcile_with_member_balances(self):
		with programme(point_value=0.1):
			member = make_member()
			make_invoice(member, [(TEA, 1, 300)])
			_columns, rows, _message, _chart, summary = points_liability(
				{"from_date": today(), "to_date": today()}
			)
		balances = frappe.db.sql("select sum(points_balance) from `tabLoyalty Member`")[0][0]
		outstanding = next(s["value"] for s in summary if s["label"] == "Outstanding Points")
		self.assertEqual(outstanding, balances)
		self.assertEqual(sum(r.outstanding_points for r in rows), balances)
		self.assertAlmostEqual(
			next(s["value"] for s in summary if s["label"] == "Outstanding Value"), balances * 0.1, 2
		)
		self.assertGreaterEqual(
			next(s["value"] for s in summary if s["label"] == "Earned (before reversals and returns)"), 300
		)
		_columns, by_company, _message, _chart, _summary = points_liability({"company": company()})
		self.assertEqual(sum(r.outstanding_points for r in by_company), balances)
