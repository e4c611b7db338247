"""Member reports: their numbers agree with the members and the ledger they come from."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import today

from loyalty_app.insight.report.cohort_retention.cohort_retention import execute as cohort_retention
from loyalty_app.insight.report.loyalty_kpis.loyalty_kpis import execute as loyalty_kpis
from loyalty_app.insight.report.member_growth.member_growth import execute as member_growth
from loyalty_app.tests.utils import TEA, company, make_invoice, make_member, programme


def test_store() -> str:
	name = frappe.db.get_value("Warehouse", {"warehouse_name": "_LP Report Store", "company": company()})
	if not name:
		parent = frappe.db.get_value("Warehouse", {"company": company(), "is_group": 1})
		name = (
			frappe.get_doc(
				{
					"doctype": "Warehouse",
					"warehouse_name": "_LP Report Store",
					"company": company(),
					"parent_warehouse": parent,
				}
			)
			.insert()
			.name
		)
	return name


class TestMemberReports(FrappeTestCase):
	def setUp(self):
		self.store = test_store()
		frappe.db.sql("update `tabLoyalty Member` set home_store = null where home_store = %s", self.store)

	def test_growth_counts_each_new_member_once_by_channel(self):
		for channel in ("Store", "Store", "App"):
			make_member(home_store=self.store, channel=channel)
		_columns, rows = member_growth({"store": self.store})
		this_month = today()[:7]
		self.assertEqual(
			{(r.join_month, r.channel): r.new_members for r in rows},
			{(this_month, "Store"): 2, (this_month, "App"): 1},
		)

	def test_cohort_retention_is_the_share_of_the_cohort_that_bought(self):
		members = [make_member(home_store=self.store) for _ in range(4)]
		with programme():
			make_invoice(members[0], [(TEA, 1, 10)])
			make_invoice(members[1], [(TEA, 1, 10)])
			make_invoice(members[1], [(TEA, 1, 10)])
		_columns, rows = cohort_retention({"store": self.store})
		[cohort] = rows
		self.assertEqual((cohort.members, cohort.month_1, cohort.month_2), (4, 50.0, 0))

	def test_kpis_reconcile_with_the_members(self):
		with programme():
			member = make_member()
			make_invoice(member, [(TEA, 1, 10)])
			make_invoice(member, [(TEA, 1, 10)])
		_columns, rows = loyalty_kpis()
		figures = {(r["section"], r["figure"]): r for r in rows}
		self.assertEqual(figures[("Members", "Members")]["value"], frappe.db.count("Loyalty Member"))
		self.assertEqual(
			figures[("Members", "Repurchase Rate")]["value"],
			frappe.db.count("Loyalty Member", {"purchase_count": (">=", 2)}),
		)
		self.assertEqual(
			sum(r["value"] for r in rows if r["section"] == "Lifecycle Stage"),
			frappe.db.count("Loyalty Member"),
		)
		self.assertGreater(figures[("Members", "Average Spend per Member")]["value"], 0)
