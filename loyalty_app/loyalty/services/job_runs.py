"""Daily jobs that catch up the days they missed.

A Loyalty Job Run remembers the last day a job completed. A run does each day after it, oldest first,
through the run's day, and records each day as it completes it (one transaction per day), so a missed
run's days are done by the next one and a rerun on the same day does nothing. A job's first run does
only its own day. Two runs at once take the job's row lock in turn: the second finds the days done.
"""

from collections.abc import Callable
from datetime import date

import frappe
from frappe.utils import add_days, getdate

JOB_RUN = "Loyalty Job Run"


def catch_up(job: str, run_day: Callable[[date], int], up_to: date | None = None) -> int:
	"""Run `run_day(day)` for each day `job` has not completed through `up_to` (default today); returns
	the sum of what the days returned."""
	last_day = getdate(up_to)
	total = 0
	while (day := _next_day(job, last_day)) is not None:
		total += run_day(day) or 0
		frappe.db.set_value(JOB_RUN, job, "last_completed_day", day, update_modified=False)
		frappe.db.commit()  # nosemgrep: one transaction per day keeps the catch-up restartable
	return total


def _next_day(job: str, last_day: date) -> date | None:
	"""The day after the job's last completed day (its first run: `last_day`), under the job's row lock."""
	if not frappe.db.exists(JOB_RUN, job):
		frappe.get_doc({"doctype": JOB_RUN, "job": job}).insert(
			ignore_permissions=True, ignore_if_duplicate=True
		)
	completed = frappe.db.sql(
		"select last_completed_day from `tabLoyalty Job Run` where name = %s for update", job
	)[0][0]
	day = getdate(add_days(completed, 1)) if completed else last_day
	return day if day <= last_day else None
