"""A till day: concurrent tills on a shared pool of members while the nightly jobs run, then the Ledger Audit.

Run with `scripts/benchmark soak [seconds]` (it calls `bench --site <site> execute
loyalty_app.benchmarks.soak.run`). Each till is a thread with its own database connection, working as a
request does (one transaction per operation, committed): POS Invoices that earn, POS Invoices paid partly
with points, returns of its own earlier invoices, and API earns and redeems. A deadlock rolls the
operation back and runs it again after a short random pause (as the POS resubmits a queued invoice), and
so does a lock wait that timed out, so a clerk never sees either; refusals the app
gives on purpose (not enough points, a return of spent points) are counted apart from errors. Meanwhile
one thread runs the nightly jobs every NIGHTLY_PAUSE seconds. At the end the Ledger Audit must find no break.
"""

import random
import statistics
import threading
import time
from collections import Counter, defaultdict

import frappe
from frappe.utils import now_datetime

from loyalty_app.api import v1
from loyalty_app.loyalty.services import audit
from loyalty_app.tests.utils import (
	TEA,
	ensure_items,
	ensure_pos_profile,
	make_invoice,
	make_member,
	make_return,
)

NIGHTLY = (
	"loyalty_app.loyalty.services.expiry.expire_points",
	"loyalty_app.loyalty.services.tiers.review_tiers",
	"loyalty_app.insight.services.lifecycle.refresh_stages",
	"loyalty_app.insight.services.rfm.refresh_rfm",
	"loyalty_app.insight.services.accounting.post_points_liability",
)
RETRIES = 10
NIGHTLY_PAUSE = 15  # seconds between two runs of the nightly jobs
REFUSALS = ("InsufficientPointsError", "PointsShortfallError", "RiskBlockedError", "HeldForApprovalError")
API_REFUSALS = {"insufficient_points", "points_already_spent", "blocked_by_risk_rules", "awaiting_approval"}


def run(tills: int = 20, seconds: int = 180, members: int = 40) -> int:
	"""Prints the figures; returns the number of errors plus audit breaks (0 is a pass)."""
	frappe.set_user("Administrator")
	ensure_items()
	ensure_pos_profile()
	pool = [make_member(member_name=f"Soak {i}") for i in range(members)]
	frappe.db.commit()  # nosemgrep: the tills must see the pool
	site, deadline = frappe.local.site, time.monotonic() + seconds
	latencies: dict[str, list[float]] = defaultdict(list)
	outcomes: Counter = Counter()
	lock = threading.Lock()

	def record(operation: str, started: float, outcome: str) -> None:
		with lock:
			latencies[operation].append(time.monotonic() - started)
			outcomes[outcome] += 1

	def till(number: int) -> None:
		frappe.init(site=site)
		frappe.connect()
		frappe.set_user("Administrator")
		rng, invoices = random.Random(number), []
		try:
			while time.monotonic() < deadline:
				member = rng.choice(pool)
				operation, call = choose(rng, member, invoices, number)
				started = time.monotonic()
				record(operation, started, attempt(call, outcomes, lock))
		finally:
			frappe.destroy()

	def nightly() -> None:
		frappe.init(site=site)
		frappe.connect()
		frappe.set_user("Administrator")
		try:
			while time.monotonic() < deadline:
				for job in NIGHTLY:
					started = time.monotonic()
					record(
						f"job {job.rsplit('.', 1)[1]}", started, attempt(frappe.get_attr(job), outcomes, lock)
					)
				time.sleep(max(min(NIGHTLY_PAUSE, deadline - time.monotonic()), 0))
		finally:
			frappe.destroy()

	started = time.monotonic()
	threads = [threading.Thread(target=till, args=(n,)) for n in range(tills)]
	threads.append(threading.Thread(target=nightly))
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	elapsed = time.monotonic() - started
	frappe.db.rollback()
	# the site may hold older test data: the soak answers for its own members
	everywhere = audit.find_breaks()
	breaks = [found for found in everywhere if found.member in pool or found.member is None]
	invoices = sum(len(latencies[op]) for op in ("POS earn", "POS paid with points", "POS return"))
	print(f"soak: {tills} tills and the nightly jobs for {elapsed:.0f} s on {members} members")
	print(f"  POS invoices and returns: {invoices} ({invoices / elapsed:.1f} per second)")
	for operation, values in sorted(latencies.items()):
		p95 = statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)
		print(
			f"  {operation:32} {len(values):6} calls  p95 {p95 * 1000:8.0f} ms  max {max(values) * 1000:8.0f} ms"
		)
	print(
		f"  done {outcomes['done']}, refused on purpose {outcomes['refused']}, deadlocks retried "
		f"{outcomes['deadlock retried']}, lock waits timed out and retried {outcomes['lock wait retried']}, "
		f"errors {outcomes['error']}"
	)
	print(f"  Ledger Audit: {len(breaks)} breaks ({len(everywhere)} on the whole site)")
	for found in breaks[:20]:
		print(f"    {found}")
	return outcomes["error"] + len(breaks)


def choose(rng: random.Random, member: str, invoices: list, till: int):
	"""One operation of a till: (its name, a call that does it)."""
	roll = rng.random()
	if roll < 0.35:
		return "POS earn", lambda: invoices.append(
			make_invoice(member, [(TEA, rng.randint(1, 3), rng.choice((20, 45, 80)))], doctype="POS Invoice")
		)
	if roll < 0.5:
		return "POS paid with points", lambda: make_invoice(
			member, [(TEA, 1, 50)], doctype="POS Invoice", loyalty_points_redeemed=rng.choice((10, 30))
		)
	if roll < 0.6 and invoices:
		invoice = invoices.pop(rng.randrange(len(invoices)))
		return "POS return", lambda: make_return(invoice, {TEA: invoice.items[0].qty})
	if roll < 0.8:
		key = f"soak-{till}-{frappe.generate_hash(length=10)}"
		return "API earn", lambda: api(v1.earn, member=member, order_id=key, amount=rng.choice((15, 60)))
	key = f"soak-{till}-{frappe.generate_hash(length=10)}"
	return "API redeem", lambda: api(v1.redeem, member=member, points=rng.choice((5, 20)), key=key)


def api(endpoint, **arguments):
	frappe.local.response = frappe._dict()
	result = endpoint(**arguments)
	if error := frappe.local.response.get("error"):
		raise ApiRefused(error["code"])
	return result


class ApiRefused(Exception):
	pass


def attempt(call, outcomes: Counter, lock: threading.Lock) -> str:
	"""Run the call in its own transaction; retry it after a deadlock or a lock wait timeout."""
	for tried in range(1, RETRIES + 1):
		try:
			call()
			frappe.db.commit()  # nosemgrep: a till's request commits
			return "done"
		except Exception as e:
			frappe.db.rollback()
			frappe.local.message_log = []
			if isinstance(e, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
				with lock:
					outcomes[
						"deadlock retried"
						if isinstance(e, frappe.QueryDeadlockError)
						else "lock wait retried"
					] += 1
				time.sleep(random.uniform(0, 0.2 * tried))
				continue
			if type(e).__name__ in REFUSALS or (isinstance(e, ApiRefused) and str(e) in API_REFUSALS):
				return "refused"
			print(f"  error at {now_datetime()}: {type(e).__name__}: {e}")
			return "error"
	print(f"  error at {now_datetime()}: still deadlocked or waiting after {RETRIES} tries")
	return "error"
