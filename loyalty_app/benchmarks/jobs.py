"""Benchmark: the nightly jobs on 1,000,000 members and 10,000,000 ledger entries.

Run with `scripts/benchmark jobs` (it uses a site of its own). Generating the data set is set-based SQL
from MariaDB's sequence engine and is skipped when the site already holds it; then each job is timed.
"""

import time
from collections.abc import Callable

import frappe
from frappe.utils import add_days, getdate, now_datetime

from loyalty_app.insight.services.lifecycle import refresh_stages
from loyalty_app.insight.services.rfm import refresh_rfm
from loyalty_app.loyalty.services.expiry import expire_points, refresh_expiry_reminders
from loyalty_app.loyalty.services.tiers import ensure_tier, review_tiers
from loyalty_app.outreach.services.messages import deliver_due
from loyalty_app.outreach.services.triggers import queue_daily
from loyalty_app.outreach.services.value import refresh_member_value
from loyalty_app.rewards.services.campaigns import post_birthday_bonuses

PREFIX = "BM-"
# The data set looks like a programme whose expiry job ran every night: only lots that expired yesterday
# are left for today's run. The catch-up run is the job after a month without it (30 days of lots).
CATCH_UP_DAYS = 30
BENCH_EMAIL_ACCOUNT = "Bench Outgoing"


def run(members: int = 1_000_000, entries_per_member: int = 10, only: list[str] | None = None) -> None:
	frappe.set_user("Administrator")
	started = time.perf_counter()
	generate(members, entries_per_member)
	print(
		f"data set: {members:,} members, {members * entries_per_member:,} ledger entries "
		f"(generated or found in {time.perf_counter() - started:.0f} s)"
	)
	if not frappe.db.exists("Points Campaign", "_Bench Birthday"):
		frappe.get_doc(
			{
				"doctype": "Points Campaign",
				"campaign_name": "_Bench Birthday",
				"campaign_type": "Birthday Bonus",
				"bonus_points": 50,
			}
		).insert()
	frappe.db.commit()  # nosemgrep
	# The day after the earliest unexpired lot's expiry date: a normal night's expiry (one day of lots) even
	# when earlier runs of this benchmark have already expired today's lots.
	expiry_day = add_days(
		frappe.db.sql(
			"""select min(expiry_date) from `tabPoints Ledger Entry`
			force index (expiry_date_remaining_points_index) where remaining_points > 0"""
		)[0][0],
		1,
	)
	for name, job in (
		("points expiry", lambda: expire_points(expiry_day)),
		("expiry reminders", lambda: refresh_expiry_reminders(expiry_day)),
		("expiry catch-up", lambda: expire_points(add_days(expiry_day, CATCH_UP_DAYS))),
		("tier review", review_tiers),
		("lifecycle stages", refresh_stages),
		("RFM segments", refresh_rfm),
		("birthday bonuses", post_birthday_bonuses),
		("daily messages", lambda: daily_messages(expiry_day)),
		("member value", refresh_member_value),
	):
		if only is None or name in only:
			seconds, result = timed(job)
			print(f"{name:<18} {seconds:8.1f} s   (aim: under 300 s)   {result}", flush=True)


def daily_messages(on_date) -> dict:
	"""The day's triggered messages (birthdays, points expiring, tier changes) queued, then delivered to the
	Email Queue. The benchmark site keeps no quiet hours, so a run at any hour delivers."""
	frappe.db.set_single_value("Outreach Settings", {"quiet_hours_start": None, "quiet_hours_end": None})
	if not frappe.db.exists("Email Account", BENCH_EMAIL_ACCOUNT):
		# an outgoing account for the Email Queue to fill (nothing is sent: the site's scheduler is off);
		# inserted without the SMTP check its validation would make
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": BENCH_EMAIL_ACCOUNT,
				"email_id": "loyalty@bench.example",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"no_smtp_authentication": 1,
			}
		).db_insert()
	queued = queue_daily(on_date)
	frappe.db.commit()  # nosemgrep
	return {"queued": queued, **deliver_due()}


def ensure_bench_tiers() -> None:
	for tier in (("Bench Silver", 10, 500, 400), ("Bench Gold", 20, 2000, 1600)):
		ensure_tier(*tier)


def timed(job: Callable) -> tuple[float, object]:
	start = time.perf_counter()
	result = job()
	frappe.db.commit()  # nosemgrep
	return time.perf_counter() - start, result


def generate(members: int, entries_per_member: int) -> None:
	if frappe.db.count("Loyalty Member", {"name": ("like", f"{PREFIX}%")}) >= members:
		return
	ensure_bench_tiers()
	now, user, today = now_datetime(), "Administrator", getdate()
	params = {
		"now": now,
		"user": user,
		"today": today,
		"yesterday": add_days(today, -1),
		"members": members,
		"per": entries_per_member,
	}
	frappe.db.sql(
		f"""insert ignore into `tabLoyalty Member` (name, creation, modified, owner, modified_by, docstatus,
			member_name, mobile_no, email, status, channel, join_date, referral_code, birthday, marketing_consent,
			tier, tier_valid_until, lifecycle_stage, points_balance, lifetime_earned, lifetime_redeemed,
			points_debt, purchase_count, total_spend, points_expiring_soon, tier_in_grace)
		select concat('{PREFIX}', lpad(seq, 7, '0')), %(now)s, %(now)s, %(user)s, %(user)s, 0,
			concat('Bench Member ', seq), concat('+86136', lpad(seq, 8, '0')), concat('member', seq, '@bench.example'),
			'Active', 'Store',
			%(today)s - interval (seq %% 900) day, concat('B', lpad(seq, 7, '0')),
			date('1980-01-01') + interval (seq %% 10000) day, seq %% 2,
			case seq %% 10 when 0 then 'Bench Gold' when 1 then 'Bench Silver' when 2 then 'Bench Silver' else null end,
			if(seq %% 10 < 3, %(today)s - interval (seq %% 30) day, null), 'New', 0, 0, 0, 0, 0, 0, 0, 0
		from seq_1_to_{members}""",
		params,
	)
	frappe.db.commit()  # nosemgrep
	total = members * entries_per_member
	chunk = 1_000_000
	for start in range(1, total + 1, chunk):
		frappe.db.sql(
			f"""insert ignore into `tabPoints Ledger Entry` (name, creation, modified, owner, modified_by, docstatus,
				member, entry_type, points, posting_datetime, voucher_type, voucher_no, cause_type, cause_name,
				idempotency_key, expiry_date, remaining_points, debt_points, settles_debt, qualifying_points,
				qualifying_amount)
			select concat('bm', seq), %(now)s, %(now)s, %(user)s, %(user)s, 0,
				concat('{PREFIX}', lpad(ceil(seq / %(per)s), 7, '0')), 'Earn', 10 + seq %% 90,
				%(now)s - interval (seq %% 730) day, 'External Transaction', concat('bench-', seq),
				'External Transaction', concat('bench-', seq), concat('bench:', seq),
				date(%(now)s - interval (seq %% 730) day) + interval 365 day,
				if(date(%(now)s - interval (seq %% 730) day) + interval 365 day < %(yesterday)s, 0, 10 + seq %% 90),
				0, 0, 10 + seq %% 90,
				(10 + seq %% 90) * 2
			from seq_{start}_to_{min(start + chunk - 1, total)}""",
			params,
		)
		frappe.db.commit()  # nosemgrep
	frappe.db.sql(
		f"""update `tabLoyalty Member` m join (
			select member, sum(points) as points, sum(remaining_points) as balance, count(*) as purchases, sum(qualifying_amount) as spend,
				min(date(posting_datetime)) as first_purchase, max(date(posting_datetime)) as last_purchase
			from `tabPoints Ledger Entry` where member like '{PREFIX}%%' group by member
		) l on l.member = m.name
		set m.points_balance = l.balance, m.lifetime_earned = l.points, m.purchase_count = l.purchases,
			m.total_spend = l.spend, m.first_purchase_date = l.first_purchase, m.last_purchase_date = l.last_purchase"""
	)
	frappe.db.commit()  # nosemgrep
