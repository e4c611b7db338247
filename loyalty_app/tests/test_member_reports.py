"""Member reports: their numbers agree with the members and the ledger they come from."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from loyalty_app.insight.report.churn_warning.churn_warning import execute as churn_warning
from loyalty_app.insight.report.cohort_retention.cohort_retention import execute as cohort_retention
from loyalty_app.insight.report.loyalty_kpis.loyalty_kpis import execute as loyalty_kpis
from loyalty_app.insight.report.member_growth.member_growth import execute as member_growth
from loyalty_app.insight.report.points_liability.points_liability import execute as points_liability
from loyalty_app.insight.services.lifecycle import refresh_stages
from loyalty_app.tests.test_lifecycle import set_history
from loyalty_app.tests.utils import TEA, company, make_invoice, make_member, programme


def test_store() -> str:
	"""A store of its own for each test, so sales and members other tests committed stay out of it."""
	parent = frappe.db.get_value("Warehouse", {"company": company(), "is_group": 1})
	return (
		frappe.get_doc(
			{
				"doctype": "Warehouse",
				"warehouse_name": f"_LP Report Store {frappe.generate_hash(length=6)}",
				"company": company(),
				"parent_warehouse": parent,
			}
		)
		.insert()
		.name
	)


class TestMemberReports(FrappeTestCase):
	def setUp(self):
		self.store = test_store()

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

	def test_kpis_count_the_stores_members_and_sales_in_the_period(self):
		with programme():
			twice, once, never = (make_member(home_store=self.store) for _ in range(3))
			make_member()  # another store's member: outside the filter
			make_invoice(twice, [(TEA, 1, 100)], set_warehouse=self.store)
			make_invoice(twice, [(TEA, 1, 60)], set_warehouse=self.store)
			make_invoice(once, [(TEA, 1, 40)], set_warehouse=self.store)
			make_invoice(never, [(TEA, 1, 1)], set_warehouse=self.store, customer=non_member_customer())
		figures = kpis({"company": company(), "store": self.store})
		self.assertEqual(figures[("Members", "Members")]["value"], 3)
		self.assertEqual(figures[("Members", "New Members")]["value"], 3)
		self.assertEqual(
			(
				figures[("Members", "Repurchase Rate")]["value"],
				figures[("Members", "Repurchase Rate")]["share"],
			),
			(1, 50.0),
		)
		self.assertEqual(figures[("Members", "Average Spend per Member")]["value"], 100.0)
		self.assertEqual(figures[("Members", "Average Spend per Non-member")]["value"], 1.0)
		self.assertEqual(sum(row["value"] for key, row in figures.items() if key[0] == "Lifecycle Stage"), 3)

		before = kpis({"store": self.store, "from_date": "2000-01-01", "to_date": "2000-12-31"})
		self.assertEqual(before[("Members", "Members")]["value"], 0)
		self.assertEqual(before[("Members", "Repurchase Rate")]["value"], 0)
		self.assertEqual(before[("Members", "Average Spend per Member")]["value"], 0)

		other_company = kpis({"company": "_LP No Such Company", "store": self.store})
		self.assertEqual(other_company[("Members", "Members")]["value"], 0)

	def test_points_liability_of_a_store_is_its_members_ledger(self):
		with programme():
			ours = make_member(home_store=self.store)
			make_invoice(ours, [(TEA, 1, 230)])
			make_invoice(make_member(), [(TEA, 1, 999)])
		_columns, rows, _message, _chart, summary = points_liability({"store": self.store})
		by_label = {s["label"]: s["value"] for s in summary}
		ledger = frappe.db.sql(
			"""select sum(remaining_points), sum(if(entry_type = 'Earn', points, 0)) from `tabPoints Ledger Entry`
			where member in (select name from `tabLoyalty Member` where home_store = %s)""",
			self.store,
		)[0]
		self.assertEqual(
			(by_label["Outstanding Points"], by_label["Earned (before reversals and returns)"]), (230, 230)
		)
		self.assertEqual(
			(sum(r.outstanding_points for r in rows), by_label["Earned (before reversals and returns)"]),
			tuple(map(int, ledger)),
		)

	def test_churn_warning_lists_only_the_stores_members_in_the_period(self):
		ours, theirs = make_member(home_store=self.store), make_member()
		for member in (ours, theirs):
			set_history(member, 3, 200, 120, "Active")
		with programme():
			refresh_stages()
		listed = {row.member for row in churn_warning({"store": self.store})[1]}
		self.assertIn(ours, listed)
		self.assertNotIn(theirs, listed)
		yesterday = churn_warning(
			{"store": self.store, "from_date": add_days(today(), -1), "to_date": add_days(today(), -1)}
		)
		self.assertNotIn(ours, {row.member for row in yesterday[1]})


def kpis(filters: dict) -> dict:
	_columns, rows = loyalty_kpis(filters)
	return {(r["section"], r["figure"]): r for r in rows}


def non_member_customer() -> str:
	name = "_LP Walk-in Customer"
	if not frappe.db.exists("Customer", name):
		frappe.get_doc({"doctype": "Customer", "customer_name": name, "customer_type": "Individual"}).insert()
	return name
