"""Test data for the Frappe tests: members, items, invoices and the ledger invariants they must keep."""

import random
from contextlib import contextmanager

import frappe
from erpnext import get_default_company
from frappe.tests.utils import change_settings
from frappe.utils import flt, now_datetime

from loyalty_app.loyalty.doctype.earning_rule.earning_rule import clear_rule_cache
from loyalty_app.loyalty.doctype.membership_tier.membership_tier import clear_tier_cache
from loyalty_app.loyalty.services.members import enrol
from loyalty_app.loyalty.services.sales import ensure_points_mode_of_payment
from loyalty_app.loyalty.services.settings import get_settings
from loyalty_app.tests.webhook_receiver import serve

ITEM_GROUP_TEA = "_LP Tea"
ITEM_GROUP_GIFT_CARDS = "_LP Gift Cards"
BRAND = "_LP Brand"
TEA = "_LP Jasmine Tea"
BRANDED_TEA = "_LP Branded Tea"
GIFT_CARD = "_LP Gift Card"


def company() -> str:
	return get_default_company()


def make_user(email: str, *roles: str) -> str:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
		user.add_roles(*roles)
	return email


def random_mobile() -> str:
	return f"+86139{random.randint(0, 99_999_999):08d}"


def make_existing_customer(customer_name: str, mobile_no: str | None = None, **fields) -> str:
	"""A Customer as a retailer already has it in ERPNext (a mobile number on the Customer makes ERPNext
	create its primary Contact with that phone too)."""
	return (
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": customer_name,
				"customer_type": "Individual",
				"customer_group": "All Customer Groups",
				"territory": "All Territories",
				"mobile_no": mobile_no,
				**fields,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_member(**profile) -> str:
	mobile = profile.pop("mobile_no", None) or random_mobile()
	return enrol(mobile, profile.pop("member_name", "Test Member"), **profile).name


def ensure_items() -> None:
	for group in (ITEM_GROUP_TEA, ITEM_GROUP_GIFT_CARDS):
		if not frappe.db.exists("Item Group", group):
			frappe.get_doc(
				{"doctype": "Item Group", "item_group_name": group, "parent_item_group": "All Item Groups"}
			).insert()
	if not frappe.db.exists("Brand", BRAND):
		frappe.get_doc({"doctype": "Brand", "brand": BRAND}).insert()
	for item_code, group, brand in (
		(TEA, ITEM_GROUP_TEA, None),
		(BRANDED_TEA, ITEM_GROUP_TEA, BRAND),
		(GIFT_CARD, ITEM_GROUP_GIFT_CARDS, None),
	):
		if not frappe.db.exists("Item", item_code):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": item_code,
					"item_group": group,
					"brand": brand,
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert()


def customer_of(member: str) -> str:
	return frappe.db.get_value("Loyalty Member", member, "customer")


def make_invoice(
	member: str,
	lines: list[tuple[str, float, float]],
	doctype: str = "Sales Invoice",
	submit: bool = True,
	pos_profile: str | None = None,
	**fields,
):
	"""An invoice for the member's customer with lines of (item_code, qty, rate)."""
	ensure_items()
	invoice = frappe.get_doc(
		{
			"doctype": doctype,
			"company": company(),
			"customer": customer_of(member),
			"currency": frappe.get_cached_value("Company", company(), "default_currency"),
			"items": [
				{"item_code": code, "qty": qty, "rate": rate, "price_list_rate": rate}
				for code, qty, rate in lines
			],
			**fields,
		}
	)
	if doctype == "POS Invoice":
		invoice.pos_profile = ensure_pos_profile(pos_profile or "_LP Till")
		invoice.is_pos = 1
	invoice.set_missing_values()
	invoice.calculate_taxes_and_totals()
	if invoice.is_pos and not invoice.is_return:
		paid_in_points = flt(fields.get("loyalty_points_redeemed", 0) * get_settings().point_value, 2)
		cash_amount = (invoice.rounded_total or invoice.grand_total) - paid_in_points
		invoice.append("payments", {"mode_of_payment": "Cash", "amount": cash_amount})
	invoice.insert()
	if submit:
		invoice.submit()
	return invoice


def make_return(invoice, qty_by_item: dict[str, float]):
	from erpnext.controllers.sales_and_purchase_return import make_return_doc

	credit_note = make_return_doc(invoice.doctype, invoice.name)
	for row in list(credit_note.items):
		row.qty = -qty_by_item.get(row.item_code, 0)
	credit_note.items = [row for row in credit_note.items if row.qty]
	credit_note.calculate_taxes_and_totals()
	for payment in credit_note.get("payments", []):
		payment.amount = 0
	if credit_note.get("payments"):
		credit_note.payments[0].amount = credit_note.rounded_total or credit_note.grand_total
	credit_note.insert()
	credit_note.submit()
	return credit_note


def ensure_pos_profile(name: str = "_LP Till", warehouse: str | None = None) -> str:
	if not frappe.db.exists("POS Profile", name):
		create_pos_profile(name, warehouse)
	if not frappe.db.exists("POS Opening Entry", {"pos_profile": name, "status": "Open", "docstatus": 1}):
		frappe.get_doc(
			{
				"doctype": "POS Opening Entry",
				"pos_profile": name,
				"company": company(),
				"user": frappe.session.user,
				"period_start_date": now_datetime(),
				"balance_details": [{"mode_of_payment": "Cash", "opening_amount": 0}],
			}
		).submit()
	return name


def create_pos_profile(name: str, warehouse: str | None = None) -> None:
	the_company = company()
	ensure_points_mode_of_payment(the_company)
	cash = frappe.get_doc("Mode of Payment", "Cash")
	if not any(row.company == the_company for row in cash.accounts):
		cash.append(
			"accounts",
			{
				"company": the_company,
				"default_account": frappe.db.get_value("Company", the_company, "default_cash_account"),
			},
		)
		cash.save()
	frappe.get_doc(
		{
			"doctype": "POS Profile",
			"name": name,
			"company": the_company,
			"warehouse": warehouse
			or frappe.db.get_value("Warehouse", {"company": the_company, "is_group": 0}),
			"currency": frappe.get_cached_value("Company", the_company, "default_currency"),
			"write_off_account": frappe.db.get_value("Company", the_company, "write_off_account"),
			"write_off_cost_center": frappe.db.get_value("Company", the_company, "cost_center"),
			"cost_center": frappe.db.get_value("Company", the_company, "cost_center"),
			"selling_price_list": "Standard Selling",
			"payments": [{"mode_of_payment": "Cash", "default": 1}, {"mode_of_payment": "Loyalty Points"}],
		}
	).insert()


@contextmanager
def programme(**values):
	"""Loyalty Settings changed for the duration of a test, on top of known defaults.

	Cached rules and tiers are dropped on the way in and out: tests roll back rows the caches may hold.
	"""
	defaults = {
		"points_per_currency_unit": 1,
		"rounding": "Round Down",
		"max_points_per_day": 0,
		"expiry_rule": "Months after earning",
		"expiry_months": 12,
		"clawback_on_return": 1,
		"return_shortfall": "Block the return",
		"point_value": 0.1,
		"tier_basis": "Points earned",
		"qualification_window": "Rolling months",
		"qualification_months": 12,
		"downgrade_grace_days": 30,
		"expiry_reminder_days": 30,
	}
	clear_rule_cache()
	clear_tier_cache()
	try:
		with change_settings("Loyalty Settings", {**defaults, **values}):
			yield
	finally:
		clear_rule_cache()
		clear_tier_cache()


@contextmanager
def settings_table(fieldname: str, rows: list[dict]):
	"""A table of Loyalty Settings (e.g. points_accounting, store_rollout) holding `rows` for a test."""
	settings = frappe.get_single("Loyalty Settings")
	settings.set(fieldname, rows)
	settings.save()
	try:
		yield
	finally:
		settings = frappe.get_single("Loyalty Settings")
		settings.set(fieldname, [])
		settings.save()


def ledger(member: str, **filters) -> list:
	return frappe.get_all(
		"Points Ledger Entry",
		filters={"member": member, **filters},
		fields=[
			"name",
			"entry_type",
			"points",
			"remaining_points",
			"expiry_date",
			"debt_points",
			"voucher_no",
			"cause_type",
			"cause_name",
		],
		order_by="creation asc",
	)


def member_figures(member: str):
	return frappe.db.get_value(
		"Loyalty Member",
		member,
		[
			"points_balance",
			"points_debt",
			"lifetime_earned",
			"lifetime_redeemed",
			"tier",
			"purchase_count",
			"total_spend",
		],
		as_dict=True,
	)


def assert_ledger_consistent(test, member: str) -> None:
	"""Balance on the member = sum of its entries = sum of what remains in its lots - debt; no lot below
	zero; every entry names its cause."""
	entries = ledger(member)
	figures = member_figures(member)
	test.assertEqual(figures.points_balance, sum(e.points for e in entries))
	test.assertEqual(figures.points_balance, sum(e.remaining_points for e in entries) - figures.points_debt)
	test.assertGreaterEqual(figures.points_debt, 0)
	for entry in entries:
		test.assertGreaterEqual(entry.remaining_points, 0)
		test.assertTrue(entry.cause_type and entry.cause_name, f"entry {entry.name} has no cause")


@contextmanager
def as_user(user: str):
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)


@contextmanager
def ledger_webhook():
	"""A real Frappe Webhook on Points Ledger Entry (after_insert) posting to a local receiver; yields the
	list of bodies received (entry, entry_type, points). The webhook is removed (and committed) after."""
	server, received = serve()
	webhook = frappe.get_doc(
		{
			"doctype": "Webhook",
			"__newname": f"_LP ledger webhook {frappe.generate_hash(length=8)}",
			"webhook_doctype": "Points Ledger Entry",
			"webhook_docevent": "after_insert",
			"request_url": f"http://127.0.0.1:{server.server_port}/loyalty-events",
			"request_method": "POST",
			"request_structure": "JSON",
			"webhook_json": '{"entry": "{{ doc.name }}", "entry_type": "{{ doc.entry_type }}", '
			'"points": {{ doc.points }}}',
			"enabled": 1,
		}
	).insert(ignore_permissions=True)
	try:
		yield received
	finally:
		frappe.db.commit()  # nosemgrep: delivers what is queued while the webhook and receiver exist
		server.shutdown()
		frappe.delete_doc("Webhook", webhook.name, ignore_permissions=True)
		frappe.cache.delete_value("webhooks")
		frappe.db.commit()  # nosemgrep: the webhook must not outlive the test
