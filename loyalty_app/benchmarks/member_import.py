"""Benchmark: moving a million members in from another system (`scripts/benchmark import`).

Writes a CSV file of `members` members (two lots each, a tier for one in ten, lifetime and purchase
figures, consent for half), then times the import as the bench command does it: loading and checking
every line, the set-based checks of the whole batch, and the import. Then imports the same file again
(everything "Already imported", nothing written twice; `again=False` leaves this out) and runs the
Ledger Audit on the site. Each run takes mobile numbers after those of the members already there.
"""

import csv
from datetime import timedelta

import frappe
from frappe.utils import getdate

from loyalty_app.benchmarks.jobs import timed
from loyalty_app.loyalty.services import member_import
from loyalty_app.loyalty.services.audit import find_breaks
from loyalty_app.loyalty.services.tiers import ensure_tier

TIER = "_Bench Imported Gold"
FIRST_MOBILE = 13_500_000_000


def run(members: int = 1_000_000, again: bool = True) -> None:
	frappe.set_user("Administrator")
	first_mobile = FIRST_MOBILE + frappe.db.count("Loyalty Member")
	ensure_tier(TIER, rank=50, entry=10**9)
	frappe.db.commit()  # nosemgrep: the import's transactions must see the tier
	path = frappe.get_site_path("private", "files", f"member-import-{members}-{first_mobile}.csv")
	seconds, _ = timed(lambda: write_file(path, members, first_mobile))
	print(f"file:       {seconds:8.1f} s   {members:,} members written to {path}", flush=True)
	batch = frappe.get_doc({"doctype": member_import.BATCH, "title": f"Benchmark {members:,}"}).insert()
	frappe.db.commit()  # nosemgrep
	seconds, count = timed(lambda: member_import.load_file(batch.name, path))
	print(f"load+check: {seconds:8.1f} s   {count:,} rows read, checked and staged", flush=True)
	seconds, counts = timed(lambda: member_import.import_batch(batch.name))
	print(
		f"import:     {seconds:8.1f} s   {counts['imported_rows']:,} members, "
		f"{counts['points_imported']:,} points, {counts['customers_created']:,} customers created",
		flush=True,
	)
	if again:
		seconds, counts = timed(lambda: member_import.import_file(path, title=f"Benchmark {members:,} again"))
		print(
			f"re-import:  {seconds:8.1f} s   {counts['skipped_rows']:,} already imported, "
			f"{counts['imported_rows']:,} imported",
			flush=True,
		)
	seconds, breaks = timed(find_breaks)
	print(
		f"audit:      {seconds:8.1f} s   {len(breaks)} breaks of the Ledger Audit's rules on the whole site"
	)


def write_file(path: str, members: int, first_mobile: int) -> None:
	today = getdate()
	with open(path, "w", newline="", encoding="utf-8") as file:
		writer = csv.writer(file)
		writer.writerow(member_import.RAW_FIELDS)
		for i in range(members):
			soon, later = today + timedelta(days=1 + i % 365), today + timedelta(days=366 + i % 365)
			points = 10 + i % 990
			writer.writerow(
				(
					f"BENCH-{first_mobile + i}",
					f"Member {i}",
					f"+86{first_mobile + i}",
					f"m{first_mobile + i}@example.com" if i % 3 == 0 else "",
					f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
					TIER if i % 10 == 0 else "",
					f"{points}:{soon}; {points * 2}:{later}",
					str(points * 5),
					str(points * 2),
					f"{points * 13.5:.2f}",
					str(1 + i % 40),
					"2020-01-15",
					str(today - timedelta(days=i % 700)),
					"2021-06-01",
					"yes" if i % 2 == 0 else "no",
					"yes",
				)
			)
