"""Benchmark: adopting the app on an ERPNext with many customers and years of invoices.

Run with `scripts/benchmark adoption [customers] [invoices per customer]` (a site of its own). The
retailer's past is generated set-based from MariaDB's sequence engine: Customers with mobile numbers in
the formats shop staff type ("139 1234 5678", "+86-139…"), one in fifty without a number, and submitted
Sales Invoices spread over three years (only the columns the app reads are filled: no GL, no stock).
Then it times bulk enrolment of every customer and the history backfill from two years ago, twice each
(the rerun shows the idempotent path).
"""

import time

import frappe
from erpnext import get_default_company
from frappe.utils import add_days, getdate, now_datetime

from loyalty_app.benchmarks.jobs import ensure_bench_tiers, timed
from loyalty_app.loyalty.services.adoption import backfill_history, enrol_customers

PREFIX = "BA-"
HISTORY_DAYS = 3 * 365


def run(customers: int = 1_000_000, invoices_per_customer: int = 3) -> None:
	frappe.set_user("Administrator")
	started = time.perf_counter()
	generate(customers, invoices_per_customer)
	print(
		f"data set: {customers:,} customers, {customers * invoices_per_customer:,} sales invoices over "
		f"{HISTORY_DAYS // 365} years (generated or found in {time.perf_counter() - started:.0f} s)",
		flush=True,
	)
	ensure_bench_tiers()
	frappe.db.set_single_value("Loyalty Settings", "tier_basis", "Amount spent")
	frappe.db.commit()  # nosemgrep
	for attempt in ("first run", "rerun"):
		batch = frappe.get_doc({"doctype": "Member Enrolment Batch"})
		batch.db_insert()  # the job is timed here rather than queued by the batch's after_insert
		frappe.db.commit()  # nosemgrep
		seconds, counts = timed(lambda batch=batch: enrol_customers(batch.name))
		print(f"bulk enrolment, {attempt:<9} {seconds:8.1f} s   {counts}", flush=True)
	since = add_days(getdate(), -2 * 365)
	for attempt in ("first run", "rerun"):
		seconds, result = timed(lambda: backfill_history(since))
		print(f"history backfill, {attempt:<9} {seconds:8.1f} s   {result}", flush=True)


def generate(customers: int, invoices_per_customer: int) -> None:
	if frappe.db.count("Customer", {"name": ("like", f"{PREFIX}%")}) >= customers:
		return
	company = get_default_company()
	currency = (frappe.get_cached_value("Company", company, "default_currency") if company else None) or "CNY"
	params = {
		"now": now_datetime(),
		"user": "Administrator",
		"today": getdate(),
		"company": company,
		"currency": currency,
		"group": frappe.db.get_value("Customer Group", {"is_group": 0}) or "All Customer Groups",
		"territory": frappe.db.get_value("Territory", {"is_group": 0}) or "All Territories",
	}
	frappe.db.sql(
		f"""insert ignore into `tabCustomer` (name, creation, modified, owner, modified_by, docstatus, idx,
			customer_name, customer_type, customer_group, territory, mobile_no, disabled)
		select concat('{PREFIX}', lpad(seq, 8, '0')), %(now)s, %(now)s, %(user)s, %(user)s, 0, 0,
			concat('Bench Customer ', seq), 'Individual', %(group)s, %(territory)s,
			case
				when seq %% 50 = 0 then null
				when seq %% 2 = 0 then concat('139 ', lpad(seq div 10000, 4, '0'), ' ', lpad(seq %% 10000, 4, '0'))
				else concat('+86-139', lpad(seq, 8, '0'))
			end, 0
		from seq_1_to_{customers}""",
		params,
	)
	frappe.db.commit()  # nosemgrep
	total = customers * invoices_per_customer
	chunk = 500_000
	for start in range(1, total + 1, chunk):
		frappe.db.sql(
			f"""insert ignore into `tabSales Invoice` (name, creation, modified, owner, modified_by, docstatus,
				idx, naming_series, customer, customer_name, company, posting_date, due_date, currency,
				conversion_rate, net_total, base_net_total, grand_total, base_grand_total, is_return,
				is_consolidated, is_pos, status)
			select concat('BA-SINV-', lpad(seq, 9, '0')), %(now)s, %(now)s, %(user)s, %(user)s, 1, 0,
				'BA-SINV-', concat('{PREFIX}', lpad((seq - 1) %% {customers} + 1, 8, '0')), 'Bench Customer',
				%(company)s, %(today)s - interval (seq * 7919 %% {HISTORY_DAYS}) day,
				%(today)s - interval (seq * 7919 %% {HISTORY_DAYS}) day, %(currency)s, 1,
				20 + seq %% 380, 20 + seq %% 380, 20 + seq %% 380, 20 + seq %% 380, 0, 0, 0, 'Paid'
			from seq_{start}_to_{min(start + chunk - 1, total)}""",
			params,
		)
		frappe.db.commit()  # nosemgrep
