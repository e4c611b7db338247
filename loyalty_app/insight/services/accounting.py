"""Points as a liability (deferred revenue, as IFRS 15 treats loyalty points), posted entry by entry.

Each run (daily, for the days up to yesterday) posts, per company with accounting enabled, every ledger
entry that no posting has taken yet: each entry records the Points Liability Posting that took it, so an
entry reaches the books exactly once, whatever its posting date. The entries a posting takes are netted
into three movements, valued at the company's value per point (rounded to the cent per line):
- accrual (points credited, less points taken back): Dr revenue / Cr liability (reversed when negative);
- redemption (points redeemed, less redemptions cancelled): Dr liability / Cr revenue;
- breakage (points expired): Dr liability / Cr breakage income.
One Journal Entry per company and posting day carries them. Entries of a day not yet posted and open in
the books are posted on their own day; a late entry (dated on a day already posted, or on a day closed
in the books: frozen accounts, a Period Closing Voucher, a closed Accounting Period) is posted with the
run's day. A run takes the company's posting lock, so two runs at once cannot post anything twice.
The liability account's balance then equals the posted entries' points × value, which the Points
Liability Reconciliation report shows. Entries without a company (campaign bonuses) belong to the
default company.
"""

from datetime import date
from decimal import Decimal

import frappe
from erpnext import get_default_company
from frappe import _
from frappe.utils import add_days, flt, getdate

from loyalty_app.loyalty.services.settings import get_settings

POSTING = "Points Liability Posting"


def accounting_setups() -> list:
	return [row for row in frappe.get_single("Loyalty Settings").points_accounting if row.enabled]


def company_condition(company: str) -> tuple[str, list]:
	if company == get_default_company():
		return "(company = %s or company is null or company = '')", [company]
	return "company = %s", [company]


def point_value(setup) -> Decimal:
	return Decimal(str(setup.point_value or get_settings().point_value))


def post_points_liability(up_to: date | None = None) -> list[str]:
	"""Daily job: post every entry not yet posted, dated up to `up_to` (default: yesterday); returns the
	Journal Entries made."""
	last_day = getdate(up_to) if up_to else getdate(add_days(getdate(), -1))
	journals = []
	for setup in accounting_setups():
		journals += post_company(setup, last_day)
	return journals


def post_company(setup, last_day: date) -> list[str]:
	"""Post the company's unposted entries dated from its start date through `last_day`."""
	lock_company_postings(setup.company)
	condition, values = company_condition(setup.company)
	posted_days = set(
		frappe.db.sql_list(
			"select posting_date from `tabPoints Liability Posting` where company = %s for update",
			setup.company,
		)
	)
	entry_days = frappe.db.sql_list(
		f"""select distinct date(posting_datetime) from `tabPoints Ledger Entry`
		where liability_posting is null and posting_datetime >= %s
		and posting_datetime < %s + interval 1 day and {condition}""",
		[setup.start_date, last_day, *values],
	)
	by_posting_day: dict[date, list[date]] = {}
	for day in map(getdate, entry_days):
		on_own_day = day not in posted_days and not closed_in_books(setup.company, day)
		by_posting_day.setdefault(day if on_own_day else last_day, []).append(day)
	if last_day in posted_days or closed_in_books(setup.company, last_day):
		# Late entries wait for the next run: the run's own day is posted already or closed.
		by_posting_day.pop(last_day, None)
	return [
		journal
		for posting_day, days in sorted(by_posting_day.items())
		if (journal := post_day(setup, posting_day, days))
	]


def lock_company_postings(company: str) -> None:
	"""Serialise posting runs per company: lock the company's accounting row until the transaction ends.

	The reads that follow are locking reads, so a run that waited sees what the other one committed."""
	frappe.db.sql(
		"""select name from `tabLoyalty Points Accounting`
		where parent = 'Loyalty Settings' and company = %s for update""",
		company,
	)


def closed_in_books(company: str, day: date) -> bool:
	"""Whether ERPNext refuses (or reserves to a role) a Journal Entry of the company on the day."""
	frozen_upto = frappe.db.get_single_value("Accounts Settings", "acc_frozen_upto")
	if frozen_upto and day <= getdate(frozen_upto):
		return True
	closed_through = frappe.db.sql(
		"""select max(period_end_date) from `tabPeriod Closing Voucher`
		where company = %s and docstatus = 1""",
		company,
	)[0][0]
	if closed_through and day <= getdate(closed_through):
		return True
	return bool(
		frappe.db.sql(
			"""select ap.name from `tabAccounting Period` ap
			join `tabClosed Document` cd on cd.parent = ap.name
			where ap.company = %s and cd.closed = 1 and cd.document_type = 'Journal Entry'
			and %s between ap.start_date and ap.end_date limit 1""",
			(company, day),
		)
	)


def posting_movements(posting: str) -> tuple[int, int, int]:
	"""(accrued, released by redemption, breakage) points of the entries a posting took."""
	row = frappe.db.sql(
		"""select coalesce(sum(e.points), 0),
			coalesce(sum(if(e.entry_type = 'Redeem', -e.points, 0)), 0)
				- coalesce(sum(if(e.entry_type = 'Reverse' and reversed.entry_type = 'Redeem', e.points, 0)), 0),
			coalesce(sum(if(e.entry_type = 'Expire', -e.points, 0)), 0)
		from `tabPoints Ledger Entry` e
		left join `tabPoints Ledger Entry` reversed on reversed.name = e.reverses_entry
		where e.liability_posting = %s""",
		posting,
	)[0]
	net, released, breakage = (int(value) for value in row)
	return net + released + breakage, released, breakage


def post_day(setup, posting_day: date, entry_days: list[date]) -> str | None:
	"""Mark the company's unposted entries of `entry_days` as taken by a new posting dated `posting_day`,
	and book what they moved."""
	posting = frappe.get_doc({"doctype": POSTING, "company": setup.company, "posting_date": posting_day})
	posting.insert(ignore_permissions=True)
	condition, values = company_condition(setup.company)
	frappe.db.sql(
		f"""update `tabPoints Ledger Entry` set liability_posting = %s
		where liability_posting is null and date(posting_datetime) in %s and {condition}""",
		[posting.name, entry_days, *values],
	)
	accrued, released, breakage = posting_movements(posting.name)
	value = point_value(setup)
	lines: dict[str, float] = {}

	def move(points: int, debit: str, credit: str) -> None:
		amount = flt(Decimal(points) * value, 2)
		lines[debit] = lines.get(debit, 0) + amount
		lines[credit] = lines.get(credit, 0) - amount

	move(accrued, setup.revenue_account, setup.liability_account)
	move(released, setup.liability_account, setup.revenue_account)
	move(breakage, setup.liability_account, setup.breakage_account)
	journal = None
	if any(flt(amount, 2) for amount in lines.values()):
		cost_center = frappe.get_cached_value("Company", setup.company, "cost_center")
		entry = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"voucher_type": "Journal Entry",
				"company": setup.company,
				"posting_date": posting_day,
				"user_remark": _(
					"Loyalty points liability for {0}: {1} accrued, {2} redeemed, {3} expired"
				).format(posting_day, accrued, released, breakage),
				"accounts": [
					{
						"account": account,
						"debit_in_account_currency": flt(amount, 2) if amount > 0 else 0,
						"credit_in_account_currency": flt(-amount, 2) if amount < 0 else 0,
						"cost_center": cost_center,
					}
					for account, amount in lines.items()
					if flt(amount, 2)
				],
			}
		)
		entry.flags.ignore_permissions = True
		entry.insert()
		entry.submit()
		journal = entry.name
	posting.update(
		{
			"journal_entry": journal,
			"accrued_points": accrued,
			"released_points": released,
			"breakage_points": breakage,
		}
	)
	posting.save(ignore_permissions=True)
	return journal


def reconciliation(company: str) -> dict:
	"""Posted entries' points × value against the liability account's balance. `waiting_points` are in
	entries since the start date that no run has posted yet (today's, or late ones for the next run);
	`opening_points` were outstanding before the start date (booked by hand)."""
	setup = next((s for s in accounting_setups() if s.company == company), None)
	if not setup:
		frappe.throw(_("Points accounting is not enabled for {0}").format(company))
	condition, values = company_condition(company)
	posted, waiting, opening = frappe.db.sql(
		f"""select coalesce(sum(if(liability_posting is not null, points, 0)), 0),
			coalesce(sum(if(liability_posting is null and posting_datetime >= %s, points, 0)), 0),
			coalesce(sum(if(liability_posting is null and posting_datetime < %s, points, 0)), 0)
		from `tabPoints Ledger Entry` where {condition}""",
		[setup.start_date, setup.start_date, *values],
	)[0]
	balance = frappe.db.sql(
		"""select coalesce(sum(credit) - sum(debit), 0) from `tabGL Entry`
		where account = %s and company = %s and is_cancelled = 0""",
		(setup.liability_account, company),
	)[0][0]
	ledger_value = flt(Decimal(int(posted)) * point_value(setup), 2)
	return {
		"company": company,
		"posted_through": frappe.db.get_value(POSTING, {"company": company}, "max(posting_date)"),
		"opening_points": int(opening),
		"outstanding_points": int(posted),
		"waiting_points": int(waiting),
		"ledger_value": ledger_value,
		"liability_balance": flt(balance, 2),
		"difference": flt(flt(balance, 2) - ledger_value, 2),
	}
