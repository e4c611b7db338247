"""Adopting the app on an ERPNext that already has customers: enrolment finds the Customer before it
creates one, on every surface (desk, POS panel, portal sign-up; the REST API in tests/http_api); the
programme goes live one store at a time."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from loyalty_app.api import portal, pos
from loyalty_app.insight.services.rfm import refresh_rfm
from loyalty_app.install import LOYALTY_USER
from loyalty_app.loyalty.services.adoption import backfill_history
from loyalty_app.loyalty.services.members import CustomerChoiceNeededError, enrol
from loyalty_app.tests.test_jobs_and_tiers import remove_tier_ladder, tier_ladder
from loyalty_app.tests.test_member_reports import test_store
from loyalty_app.tests.utils import (
	TEA,
	as_user,
	company,
	ensure_items,
	ensure_pos_profile,
	ledger,
	make_existing_customer,
	make_invoice,
	make_member,
	make_return,
	make_user,
	member_figures,
	programme,
	random_mobile,
	settings_table,
)


def spaced(mobile: str) -> str:
	"""+8613912345678 the way a shop assistant typed it into ERPNext years ago: 139-1234 5678."""
	digits = mobile.removeprefix("+86")
	return f"{digits[:3]}-{digits[3:7]} {digits[7:]}"


def customers_count() -> int:
	return frappe.db.count("Customer")


def add_contact(customer: str, phone: str | None = None, email: str | None = None) -> str:
	contact = frappe.get_doc({"doctype": "Contact", "first_name": f"Contact of {customer}"})
	if phone:
		contact.append("phone_nos", {"phone": phone, "is_primary_mobile_no": 1})
	if email:
		contact.append("email_ids", {"email_id": email, "is_primary": 1})
	contact.append("links", {"link_doctype": "Customer", "link_name": customer})
	return contact.insert(ignore_permissions=True).name


class TestEnrolmentFindsTheCustomer(FrappeTestCase):
	def test_desk_enrolment_links_the_customer_with_the_mobile_in_another_format(self):
		mobile = random_mobile()
		customer = make_existing_customer("_LP Regular", spaced(mobile))
		before = customers_count()
		member = frappe.get_doc(
			{"doctype": "Loyalty Member", "member_name": "Regular", "mobile_no": mobile}
		).insert()
		self.assertEqual(member.customer, customer)
		self.assertEqual(customers_count(), before)

	def test_a_contact_phone_of_the_customer_is_found(self):
		mobile = random_mobile()
		customer = make_existing_customer("_LP Contact Phone Only")
		add_contact(customer, phone=f"0086 {mobile.removeprefix('+86')}")
		before = customers_count()
		member = enrol(mobile, "Contact Phone")
		self.assertEqual(member.customer, customer)
		self.assertEqual(customers_count(), before)

	def test_a_longer_number_ending_in_the_same_digits_and_disabled_customers_are_not_matches(self):
		mobile = random_mobile()
		make_existing_customer("_LP Longer Number", "+1" + mobile.removeprefix("+86"))
		make_existing_customer("_LP Gone", mobile, disabled=1)
		before = customers_count()
		member = enrol(mobile, "Newcomer")
		self.assertEqual(customers_count(), before + 1)
		self.assertNotIn(member.customer, ("_LP Longer Number", "_LP Gone"))
		# the member holds the number; the Customer made for them keeps no copy (README: what the Customer keeps)
		self.assertEqual(frappe.db.get_value("Loyalty Member", member.name, "mobile_no"), mobile)
		self.assertIsNone(frappe.db.get_value("Customer", member.customer, "mobile_no"))

	def test_several_customers_with_the_mobile_need_a_choice_and_nothing_is_created(self):
		mobile = random_mobile()
		first = make_existing_customer("_LP Twin A", mobile)
		second = make_existing_customer("_LP Twin B", spaced(mobile))
		before = customers_count()
		with self.assertRaisesRegex(CustomerChoiceNeededError, f"{first}, {second}"):
			frappe.get_doc({"doctype": "Loyalty Member", "member_name": "Twin", "mobile_no": mobile}).insert()
		self.assertEqual(customers_count(), before)
		self.assertFalse(frappe.db.exists("Loyalty Member", {"mobile_no": mobile}))

	def test_a_customer_that_already_has_a_member_is_not_linked_twice(self):
		mobile = random_mobile()
		customer = make_existing_customer("_LP Changed Number", mobile)
		member = enrol(random_mobile(), "Changed Number", customer=customer)
		before = customers_count()
		with self.assertRaisesRegex(frappe.DuplicateEntryError, member.name):
			enrol(mobile, "Someone With The Old Number")
		self.assertEqual(customers_count(), before)


class TestPosEnrolmentFindsTheCustomer(FrappeTestCase):
	def setUp(self):
		self.clerk = make_user("_lp_pos_clerk@example.com", LOYALTY_USER, "Sales User")

	def test_the_clerk_enrols_an_existing_customer(self):
		mobile = random_mobile()
		customer = make_existing_customer("_LP Walk-in Regular", spaced(mobile))
		before = customers_count()
		with as_user(self.clerk):
			summary = pos.enrol(mobile, "Walk-in Regular")
		self.assertEqual(summary["customer"], customer)
		self.assertEqual(customers_count(), before)

	def test_the_clerk_chooses_among_customers_with_the_same_mobile(self):
		mobile = random_mobile()
		first = make_existing_customer("_LP Shared Phone A", mobile)
		second = make_existing_customer("_LP Shared Phone B", mobile)
		before = customers_count()
		with as_user(self.clerk):
			choice = pos.enrol(mobile, "Shared Phone")
			self.assertEqual(
				choice["choose_customer"],
				[
					{"customer": first, "customer_name": "_LP Shared Phone A"},
					{"customer": second, "customer_name": "_LP Shared Phone B"},
				],
			)
			self.assertFalse(frappe.db.exists("Loyalty Member", {"mobile_no": mobile}))
			with self.assertRaisesRegex(CustomerChoiceNeededError, "does not have mobile number"):
				pos.enrol(mobile, "Shared Phone", customer=make_existing_customer("_LP Unrelated"))
			summary = pos.enrol(mobile, "Shared Phone", customer=second)
		self.assertEqual(summary["customer"], second)
		self.assertEqual(customers_count(), before + 1)  # only the unrelated one made above


class TestPortalSignUpFindsTheCustomer(FrappeTestCase):
	def website_user(self, email: str) -> str:
		if not frappe.db.exists("User", email):
			frappe.get_doc(
				{
					"doctype": "User",
					"email": email,
					"first_name": "Web",
					"user_type": "Website User",
					"send_welcome_email": 0,
				}
			).insert(ignore_permissions=True)
		return email

	def test_sign_up_links_the_customer_that_carries_the_users_email(self):
		user = self.website_user("_lp_adopt_web_own@example.com")
		mobile = random_mobile()
		customer = make_existing_customer("_LP Web Own", mobile, email_id=user)
		before = customers_count()
		with as_user(user):
			summary = portal.join(spaced(mobile), "Web Own")
			again = portal.join(random_mobile(), "Web Own Again")
		self.assertEqual(frappe.db.get_value("Loyalty Member", summary["member"], "customer"), customer)
		self.assertEqual(frappe.db.get_value("Loyalty Member", summary["member"], "user"), user)
		self.assertEqual(again["member"], summary["member"])
		self.assertEqual(customers_count(), before)

	def test_sign_up_with_someone_elses_mobile_is_refused_without_saying_whose(self):
		user = self.website_user("_lp_adopt_web_prober@example.com")
		mobile = random_mobile()
		make_existing_customer("_LP Web Victim", mobile)
		member_mobile = random_mobile()
		enrol(member_mobile, "Web Victim Member")
		before = customers_count()
		with as_user(user):
			for typed in (mobile, member_mobile):
				with self.assertRaises(frappe.PermissionError) as refused:
					portal.join(typed, "Prober")
				self.assertNotIn("Victim", str(refused.exception))
		self.assertEqual(customers_count(), before)
		self.assertFalse(frappe.db.exists("Loyalty Member", {"user": user}))

	def test_sign_up_with_a_new_mobile_creates_one_customer(self):
		user = self.website_user("_lp_adopt_web_new@example.com")
		before = customers_count()
		with as_user(user):
			summary = portal.join(random_mobile(), "Web New")
		self.assertEqual(customers_count(), before + 1)
		self.assertEqual(frappe.db.get_value("Loyalty Member", summary["member"], "user"), user)


def live_stores(rows: list[dict]):
	return settings_table("store_rollout", rows)


class TestRolloutByStore(FrappeTestCase):
	def setUp(self):
		self.pilot, self.other = test_store(), test_store()
		self.pilot_till = ensure_pos_profile(f"_LP Pilot Till {self.pilot}", self.pilot)
		self.other_till = ensure_pos_profile(f"_LP Other Till {self.other}", self.other)

	def test_only_the_pilot_store_earns_and_other_stores_sell_as_before(self):
		with programme(), live_stores([{"store": self.pilot, "live_from": today()}]):
			member = make_member()
			pilot_sale = make_invoice(
				member, [(TEA, 1, 100)], doctype="POS Invoice", pos_profile=self.pilot_till
			)
			other_sale = make_invoice(
				member, [(TEA, 1, 70)], doctype="POS Invoice", pos_profile=self.other_till
			)
			desk_sale = make_invoice(member, [(TEA, 1, 40)], set_warehouse=self.other)
		self.assertEqual((other_sale.docstatus, desk_sale.docstatus), (1, 1))
		self.assertFalse(other_sale.loyalty_member)
		self.assertEqual([e.voucher_no for e in ledger(member)], [pilot_sale.name])
		figures = member_figures(member)
		self.assertEqual((figures.points_balance, figures.purchase_count, figures.total_spend), (100, 1, 100))

	def test_a_store_earns_from_its_live_date_and_a_later_return_follows_the_original(self):
		with programme(), live_stores([{"store": self.pilot, "live_from": add_days(today(), 1)}]):
			member = make_member()
			before_live = make_invoice(
				member, [(TEA, 1, 100)], doctype="POS Invoice", pos_profile=self.pilot_till
			)
			with self.assertRaisesRegex(frappe.ValidationError, "not live in this store"):
				make_invoice(
					member,
					[(TEA, 1, 50)],
					doctype="POS Invoice",
					pos_profile=self.pilot_till,
					loyalty_points_redeemed=10,
				)
		self.assertFalse(before_live.loyalty_member)
		self.assertEqual(member_figures(member).purchase_count, 0)
		with programme():
			sale = make_invoice(member, [(TEA, 2, 50)], set_warehouse=self.pilot)
			with live_stores([{"store": self.pilot, "live_from": add_days(today(), 1)}]):
				make_return(sale, {TEA: 1})
		self.assertEqual(member_figures(member).points_balance, 50)

	def test_a_sales_invoice_without_a_warehouse_follows_its_company(self):
		with programme(), live_stores([{"store": self.pilot, "live_from": today()}]):
			member = make_member()
			back_office = make_invoice(member, [(TEA, 1, 30)])
		with programme(), live_stores([{"store": self.pilot, "live_from": add_days(today(), 1)}]):
			too_early = make_invoice(member, [(TEA, 1, 20)])
		self.assertEqual((back_office.loyalty_member, too_early.loyalty_member), (member, None))
		self.assertEqual(member_figures(member).points_balance, 30)


def customer_group(name: str) -> str:
	if not frappe.db.exists("Customer Group", name):
		frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": name,
				"parent_customer_group": "All Customer Groups",
			}
		).insert()
	return name


def sell_to(customer: str, amount: float, posting_date: str | None = None, **fields):
	"""A submitted Sales Invoice of the retailer's past, for a customer who may be no member."""
	ensure_items()
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company(),
			"customer": customer,
			"set_posting_time": 1,
			"posting_date": posting_date or today(),
			"due_date": posting_date or today(),
			"items": [{"item_code": TEA, "qty": 1, "rate": amount, "price_list_rate": amount}],
			**fields,
		}
	)
	invoice.insert()
	invoice.submit()
	return invoice


def enrol_batch(**filters) -> "frappe.model.document.Document":
	batch = frappe.get_doc({"doctype": "Member Enrolment Batch", **filters}).insert()
	return batch.reload()


class TestBulkEnrolment(FrappeTestCase):
	def setUp(self):
		self.group = customer_group(f"_LP Adopt {frappe.generate_hash(length=6)}")

	def test_a_customer_group_is_enrolled_once_with_unknown_consent(self):
		mobiles = [random_mobile() for _ in range(3)]
		regulars = [
			make_existing_customer(f"_LP Bulk {i}", spaced(m), customer_group=self.group)
			for i, m in enumerate(mobiles)
		]
		no_mobile = make_existing_customer("_LP Bulk No Mobile", customer_group=self.group)
		shared = random_mobile()
		first_twin = make_existing_customer("_LP Bulk Twin", shared, customer_group=self.group)
		second_twin = make_existing_customer("_LP Bulk Twin", shared, customer_group=self.group)
		already = make_existing_customer("_LP Bulk Member", random_mobile(), customer_group=self.group)
		existing_member = enrol(random_mobile(), "Bulk Member", customer=already).name
		outsider = make_existing_customer("_LP Bulk Outsider", random_mobile())
		before = frappe.db.count("Loyalty Member")

		batch = enrol_batch(customer_group=self.group)

		self.assertEqual(
			(batch.status, batch.enrolled, batch.without_mobile, batch.mobile_taken), ("Completed", 4, 1, 1)
		)
		self.assertEqual(frappe.db.count("Loyalty Member"), before + 4)
		for customer, mobile in [*zip(regulars, mobiles, strict=True), (first_twin, shared)]:
			member = frappe.db.get_value(
				"Loyalty Member",
				{"customer": customer},
				[
					"name",
					"mobile_no",
					"mobile_masked",
					"marketing_consent",
					"data_processing_consent",
					"enrolment_batch",
					"status",
					"referral_code",
					"lifecycle_stage",
					"points_balance",
				],
				as_dict=True,
			)
			self.assertEqual(member.mobile_no, mobile)
			self.assertEqual(member.mobile_masked, f"+86 {mobile[3:6]}****{mobile[-4:]}")
			self.assertEqual((member.marketing_consent, member.data_processing_consent), (0, 0))
			self.assertEqual(
				(member.enrolment_batch, member.status, member.lifecycle_stage), (batch.name, "Active", "New")
			)
			self.assertEqual(len(member.referral_code), 8)
		for customer in (no_mobile, second_twin, outsider):
			self.assertFalse(frappe.db.exists("Loyalty Member", {"customer": customer}))
		self.assertEqual(
			frappe.db.get_value("Loyalty Member", {"customer": already}, "name"), existing_member
		)

		again = enrol_batch(customer_group=self.group)
		self.assertEqual((again.enrolled, frappe.db.count("Loyalty Member")), (0, before + 4))
		# the members' naming series moved on: a member enrolled afterwards gets a name of its own
		self.assertTrue(make_member())

	def test_bought_recently_and_in_a_store(self):
		store = test_store()
		recent, old, elsewhere = (
			make_existing_customer(f"_LP Bulk Buyer {i}", random_mobile(), customer_group=self.group)
			for i in range(3)
		)
		sell_to(recent, 50, set_warehouse=store, update_stock=0)
		sell_to(old, 50, add_days(today(), -200), set_warehouse=store)
		sell_to(elsewhere, 50)
		batch = enrol_batch(customer_group=self.group, store=store, bought_within_months=6)
		self.assertEqual(batch.enrolled, 1)
		self.assertEqual(frappe.db.get_value("Loyalty Member", {"customer": recent}, "home_store"), store)
		self.assertFalse(frappe.db.exists("Loyalty Member", {"customer": ("in", [old, elsewhere])}))


# (days ago, amount): a customer who bought about every two months for most of a year
HISTORY = ((-300, 400), (-240, 300), (-180, 500), (-120, 200), (-60, 600), (-30, 100))
COMPARED = (
	"tier",
	"lifecycle_stage",
	"rfm_scores",
	"rfm_segment",
	"purchase_count",
	"total_spend",
	"first_purchase_date",
	"last_purchase_date",
	"lifetime_revenue",
)


class TestHistoryBackfill(FrappeTestCase):
	"""The same history two ways: invoices submitted with the app live, and invoices submitted before
	the app, then bulk enrolment and the backfill. Both members must end with the same figures."""

	def tearDown(self):
		remove_tier_ladder()  # the backfill commits

	def test_backfill_gives_the_figures_live_invoices_would_have(self):
		with programme(tier_basis="Amount spent"):
			silver, gold = tier_ladder()
			live = make_member(member_name="Replay Live")
			for days, amount in HISTORY:
				on = add_days(today(), days)
				make_invoice(live, [(TEA, 1, amount)], set_posting_time=1, posting_date=on, due_date=on)
			mobile = random_mobile()
			customer = make_existing_customer(
				"_LP Replay Backfill", mobile, customer_group=customer_group("_LP Replay")
			)
			for days, amount in HISTORY:
				sell_to(customer, amount, add_days(today(), days))
			batch = enrol_batch(customer_group="_LP Replay")
			adopted = frappe.db.get_value("Loyalty Member", {"customer": customer})
			self.assertEqual(
				(batch.enrolled, frappe.db.get_value("Loyalty Member", adopted, "points_balance")), (1, 0)
			)

			result = backfill_history(add_days(today(), -365))
			again = backfill_history(add_days(today(), -365))

		self.assertGreaterEqual(result["invoices_marked"], len(HISTORY))
		self.assertEqual(frappe.db.count("Sales Invoice", {"loyalty_member": adopted}), len(HISTORY))
		self.assertEqual((again["invoices_marked"], again["tiers_upgraded"]), (0, 0))
		figures = {
			member: frappe.db.get_value("Loyalty Member", member, COMPARED, as_dict=True)
			for member in (live, adopted)
		}
		self.assertEqual(figures[adopted], figures[live])
		self.assertEqual(
			(figures[adopted].tier, figures[adopted].purchase_count, figures[adopted].total_spend),
			(gold, 6, 2100),
		)
		self.assertTrue(figures[adopted].rfm_scores)
		self.assertEqual(figures[adopted].lifecycle_stage, "Loyal")
		self.assertFalse(frappe.db.exists("Points Ledger Entry", {"member": adopted}))
		self.assertTrue(silver)

	def test_a_frozen_members_purchases_count_for_rfm(self):
		with programme():
			member = make_member()
			frappe.db.set_value("Loyalty Member", member, "status", "Frozen")
			make_invoice(member, [(TEA, 1, 80)])
			refresh_rfm()
		self.assertFalse(frappe.db.exists("Points Ledger Entry", {"member": member}))
		self.assertTrue(frappe.db.get_value("Loyalty Member", member, "rfm_scores"))
