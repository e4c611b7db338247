"""Benchmark: what the app adds to a Sales Invoice submit, and a member's balance look-up vs ERPNext's.

Run with scripts/benchmark (it calls `bench --site <site> execute loyalty_app.benchmarks.ledger.run`).
It writes its own customer, member, loyalty program and entries to the site and prints its figures.
"""

import statistics
import time
from collections.abc import Callable

import frappe
from frappe.utils import add_days, add_months, now_datetime, today

from loyalty_app.loyalty.services.ledger import redeemable_points
from loyalty_app.loyalty.services.members import enrol
from loyalty_app.tests.utils import TEA, company, ensure_items

BENCH_MOBILE = "+8613700000001"
ERPNEXT_PROGRAM = "_Bench ERPNext Program"


def run(submits: int = 40, entries: int = 1000, lookups: int = 300) -> None:
	frappe.set_user("Administrator")
	ensure_items()
	member = enrol(BENCH_MOBILE, "Benchmark Member")
	frappe.db.commit()  # nosemgrep: the benchmark's data must be there for every measured call

	ours, baseline = measure_submits(member.customer, submits)
	added = (statistics.median(ours) / statistics.median(baseline) - 1) * 100
	print(f"Sales Invoice submit, median of {submits} each (ms):")
	print(f"  ERPNext alone (app hooks disabled): {statistics.median(baseline):8.2f}")
	print(f"  with loyalty_app hooks:             {statistics.median(ours):8.2f}")
	print(f"  added by loyalty_app:               {added:7.1f} %   (aim: under 10 %)")

	program = seed_erpnext_ledger(member.customer, entries)
	seed_our_ledger(member.name, entries)
	frappe.db.commit()  # nosemgrep

	from erpnext.accounts.doctype.loyalty_program.loyalty_program import (
		get_loyalty_program_details_with_points,
	)

	erpnext_ms = timed(
		lambda: get_loyalty_program_details_with_points(
			member.customer, program, company=company(), silent=True
		),
		lookups,
	)
	balance_ms = timed(lambda: frappe.db.get_value("Loyalty Member", member.name, "points_balance"), lookups)
	redeemable_ms = timed(lambda: redeemable_points(member.name), lookups)
	print(f"Balance look-up for a member with {entries} ledger entries, median of {lookups} (ms):")
	print(f"  ERPNext get_loyalty_program_details_with_points: {erpnext_ms:8.3f}")
	print(
		f"  loyalty_app balance (kept on the member):        {balance_ms:8.3f}   {erpnext_ms / balance_ms:6.1f}x faster"
	)
	print(
		f"  loyalty_app redeemable points (lots - debt):     {redeemable_ms:8.3f}   {erpnext_ms / redeemable_ms:6.1f}x faster"
	)


def measure_submits(customer: str, submits: int) -> tuple[list[float], list[float]]:
	"""Interleave submits with and without the app's doc events so drift hits both alike."""
	ours, baseline = [], []
	for _ in range(3):  # warm caches
		draft_invoice(customer).submit()
	for _ in range(submits):
		for samples, hooks_on in ((ours, True), (baseline, False)):
			invoice = draft_invoice(customer)
			frappe.local.doc_events_hooks = None if hooks_on else without_app_hooks()
			start = time.perf_counter()
			invoice.submit()
			samples.append((time.perf_counter() - start) * 1000)
			frappe.local.doc_events_hooks = None
			frappe.db.commit()  # nosemgrep: each submit is its own request in real use
	return ours, baseline


def without_app_hooks() -> dict:
	frappe.local.doc_events_hooks = None
	hooks = frappe.get_doc_hooks()
	return {
		doctype: {
			event: [m for m in methods if not m.startswith("loyalty_app.")]
			for event, methods in events.items()
		}
		for doctype, events in hooks.items()
	}


def draft_invoice(customer: str):
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company(),
			"customer": customer,
			"items": [{"item_code": TEA, "qty": 2, "rate": 88}],
		}
	)
	invoice.insert()
	return invoice


def seed_erpnext_ledger(customer: str, entries: int) -> str:
	if not frappe.db.exists("Loyalty Program", ERPNEXT_PROGRAM):
		frappe.get_doc(
			{
				"doctype": "Loyalty Program",
				"loyalty_program_name": ERPNEXT_PROGRAM,
				"loyalty_program_type": "Single Tier Program",
				"from_date": add_months(today(), -12),
				"company": company(),
				"conversion_factor": 1,
				"expiry_duration": 365,
				"collection_rules": [{"tier_name": "Standard", "collection_factor": 1, "min_spent": 0}],
			}
		).insert()
	frappe.db.delete("Loyalty Point Entry", {"customer": customer})
	now = now_datetime()
	frappe.db.bulk_insert(
		"Loyalty Point Entry",
		fields=[
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"docstatus",
			"loyalty_program",
			"loyalty_program_tier",
			"customer",
			"invoice_type",
			"loyalty_points",
			"purchase_amount",
			"expiry_date",
			"posting_date",
			"company",
		],
		values=[
			(
				f"_bench-lpe-{i}",
				now,
				now,
				"Administrator",
				"Administrator",
				1,
				ERPNEXT_PROGRAM,
				"Standard",
				customer,
				"Sales Invoice",
				10,
				10,
				add_days(today(), 300),
				add_days(today(), -i % 300),
				company(),
			)
			for i in range(entries)
		],
	)
	return ERPNEXT_PROGRAM


def seed_our_ledger(member: str, entries: int) -> None:
	frappe.db.delete("Points Ledger Entry", {"member": member, "idempotency_key": ("like", "_bench-%")})
	now = now_datetime()
	frappe.db.bulk_insert(
		"Points Ledger Entry",
		fields=[
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"docstatus",
			"member",
			"entry_type",
			"points",
			"posting_datetime",
			"company",
			"cause_type",
			"cause_name",
			"idempotency_key",
			"expiry_date",
			"remaining_points",
		],
		values=[
			(
				f"_bench-ple-{i}",
				now,
				now,
				"Administrator",
				"Administrator",
				0,
				member,
				"Earn",
				10,
				now,
				company(),
				"Loyalty Member",
				member,
				f"_bench-{member}-{i}",
				add_days(today(), 300),
				10,
			)
			for i in range(entries)
		],
	)
	frappe.db.sql(
		"""update `tabLoyalty Member` set points_balance = (select sum(points) from `tabPoints Ledger Entry`
		where member = %(member)s) where name = %(member)s""",
		{"member": member},
	)


def timed(call: Callable, repeat: int) -> float:
	for _ in range(10):
		call()
	samples = []
	for _ in range(repeat):
		start = time.perf_counter()
		call()
		samples.append((time.perf_counter() - start) * 1000)
	return statistics.median(samples)
