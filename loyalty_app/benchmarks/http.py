"""Data for `scripts/benchmark http`: made on the test site before gunicorn serves it.

`bench --site <site> execute loyalty_app.benchmarks.http.prepare --kwargs '{"path": "..."}'` makes an
integration user and a clerk with API keys, a member with `entries` ledger entries (and the same number in
ERPNext's own Loyalty Point Entry for their customer, under an ERPNext Loyalty Program), a pool of members
with points for the writing calls (earn, redeem), and a coupon code; it writes their ids to a JSON file that
the load client (`loyalty_app.benchmarks.http_load`) reads.
"""

import json

import frappe

from loyalty_app.benchmarks.ledger import BENCH_MOBILE, seed_erpnext_ledger, seed_our_ledger
from loyalty_app.install import LOYALTY_INTEGRATION, LOYALTY_USER
from loyalty_app.loyalty.services.ledger import Voucher, credit
from loyalty_app.loyalty.services.members import enrol
from loyalty_app.rewards.services.coupons import issue_code
from loyalty_app.tests.http_fixtures import api_user
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign
from loyalty_app.tests.utils import company, ensure_items

POOL_SIZE = 40
POOL_POINTS = 1_000_000


def prepare(path: str, entries: int = 1000) -> None:
	frappe.set_user("Administrator")
	ensure_items()
	member = enrol(BENCH_MOBILE, "HTTP Benchmark Member")
	seed_our_ledger(member.name, entries)
	program = seed_erpnext_ledger(member.customer, entries)
	frappe.db.set_value("Customer", member.customer, "loyalty_program", program)
	pool = [enrol(f"+86137100{i:05d}", f"HTTP Benchmark Till {i}").name for i in range(POOL_SIZE)]
	for pool_member in pool:
		credit(
			pool_member,
			POOL_POINTS,
			"Adjust",
			Voucher("Loyalty Member", pool_member, company()),
			key=f"http-benchmark:{pool_member}",
		)
	coupon = issue_code(make_campaign("_LP HTTP Benchmark Coupons"), member.name)
	frappe.db.commit()  # nosemgrep: the server's processes must see this data
	fixture = {
		"site": frappe.local.site,
		"integration": api_user("bench-api@loyalty.test", LOYALTY_INTEGRATION),
		"clerk": api_user("bench-clerk@loyalty.test", LOYALTY_USER),
		"member": member.name,
		"mobile": BENCH_MOBILE,
		"customer": member.customer,
		"erpnext_program": program,
		"company": company(),
		"coupon": coupon,
		"pool": pool,
		"entries": entries,
	}
	with open(path, "w") as f:
		json.dump(fixture, f)
