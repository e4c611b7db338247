"""Tier upgrades at once on a qualifying purchase, fall-backs when that purchase is cancelled or returned,
and the set-based end-of-window review."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import add_days, getdate, now_datetime

from loyalty_app.engine.tiers import Tier, qualifying_tier, review_window, upgrade_to
from loyalty_app.loyalty.services.ledger import LEDGER, Voucher, credit, take_back
from loyalty_app.loyalty.services.settings import ROLLING_MONTHS, ProgrammeSettings, get_settings

MEMBER = "Loyalty Member"
REVIEW_CHUNK = 5000


TIERS_CACHE_KEY = "loyalty_app:tiers"


@dataclass(frozen=True)
class ProgrammeTier(Tier):
	earn_multiplier: Decimal = Decimal(1)
	upgrade_gift_points: int = 0


def all_tiers() -> list[ProgrammeTier]:
	"""The tier ladder, cached until a tier changes (Membership Tier clears the cache on save and delete)."""
	return frappe.cache.get_value(TIERS_CACHE_KEY, generator=_load_tiers)


def _load_tiers() -> list[ProgrammeTier]:
	return [
		ProgrammeTier(
			t.name,
			t.rank,
			Decimal(str(t.entry_threshold)),
			Decimal(str(t.retention_threshold or 0)),
			Decimal(str(t.earn_multiplier if t.earn_multiplier is not None else 1)),
			t.upgrade_gift_points or 0,
		)
		for t in frappe.get_all(
			"Membership Tier",
			fields=[
				"name",
				"rank",
				"entry_threshold",
				"retention_threshold",
				"earn_multiplier",
				"upgrade_gift_points",
			],
		)
	]


def ensure_tier(
	name: str, rank: int, entry: float, retention: float = 0, multiplier: float = 1, gift: int = 0
) -> str:
	"""Create a tier unless one of that name exists (for demo data and tests)."""
	if not frappe.db.exists("Membership Tier", name):
		frappe.get_doc(
			{
				"doctype": "Membership Tier",
				"tier_name": name,
				"rank": rank,
				"entry_threshold": entry,
				"retention_threshold": retention,
				"earn_multiplier": multiplier,
				"upgrade_gift_points": gift,
			}
		).insert()
	return name


def qualifying_value(member: str, on_date: date, settings: ProgrammeSettings) -> Decimal:
	column = "qualifying_amount" if settings.qualifies_by_amount else "qualifying_points"
	result = frappe.db.sql(
		f"""select coalesce(sum({column}), 0) from `tabPoints Ledger Entry`
		where member = %s and posting_datetime >= %s""",
		(member, settings.window_start(on_date)),
	)
	return Decimal(str(result[0][0]))


def upgrade_if_qualified(
	member: str, on_date: date | None = None, cause: Voucher | None = None
) -> str | None:
	"""Move the member up at once when the window's value reaches a higher tier; post its gift, caused by
	`cause` (the purchase that brought the upgrade; without one, the member)."""
	tiers = all_tiers()
	current = frappe.db.get_value(MEMBER, member, "tier")
	top_rank = max((t.rank for t in tiers), default=None)
	if top_rank is None or any(t.name == current and t.rank == top_rank for t in tiers):
		return None
	settings = get_settings()
	on_date = getdate(on_date)
	value = qualifying_value(member, on_date, settings)
	target = upgrade_to(tiers, current, value)
	if not target:
		return None
	_set_tier(member, target.name, on_date, settings)
	log_tier_change(member, "Upgrade", current, target.name, on_date, value)
	if target.upgrade_gift_points:
		gifts_taken_back = frappe.db.count(
			LEDGER,
			{
				"member": member,
				"voucher_type": "Membership Tier",
				"voucher_no": target.name,
				"points": ("<", 0),
			},
		)
		credit(
			member,
			target.upgrade_gift_points,
			"Bonus",
			Voucher("Membership Tier", target.name, cause=cause or Voucher(MEMBER, member)),
			# once per tier, again after a fall-back took the gift back
			key=f"tier-gift:{member}:{target.name}" + (f":{gifts_taken_back}" if gifts_taken_back else ""),
			remarks=_("Gift for reaching tier {0}").format(target.name),
		)
	return target.name


def _set_tier(member: str, tier: str | None, on_date: date, settings: ProgrammeSettings) -> None:
	frappe.db.set_value(
		MEMBER,
		member,
		{
			"tier": tier,
			"tier_since": on_date,
			"tier_valid_until": settings.tier_valid_until(on_date) if tier else None,
			"tier_in_grace": 0,
		},
		update_modified=False,
	)


def fall_back_if_unqualified(
	member: str, cause: Voucher, since: date, on_date: date | None = None
) -> str | None:
	"""After `cause` (a purchase posted on `since`) was cancelled or returned: a tier the member reached
	on or after that day and no longer qualifies for falls back to the tier the window's value reaches.
	Then a tier gift stands only while the member holds its tier: the gifts of the tiers lost now, and
	those `cause` brought for a tier the member no longer holds, are taken back (spent gift points
	follow the debt rule). A take-back names the gift's own cause, so the document that earned the gift
	nets to what it still earns. Returns the member's tier."""
	tiers = {t.name: t for t in all_tiers()}
	settings = get_settings()
	on_date = getdate(on_date)
	current = tiers.get(frappe.db.get_value(MEMBER, member, "tier"))
	held, fell_back = current, False
	if current and frappe.db.exists(
		"Member Tier Change",
		{"member": member, "change_type": "Upgrade", "to_tier": current.name, "changed_on": (">=", since)},
	):
		value = qualifying_value(member, on_date, settings)
		if value < current.entry_threshold:
			held, fell_back = qualifying_tier(tiers.values(), value), True
			_set_tier(member, held.name if held else None, on_date, settings)
			log_tier_change(member, "Downgrade", current.name, held.name if held else None, on_date, value)
	held_rank = held.rank if held else None
	for gift in _standing_gifts(member):
		tier = tiers.get(gift.voucher_no)
		if not tier or (held_rank is not None and tier.rank <= held_rank):
			continue
		if not (fell_back or (gift.cause_type, gift.cause_name) == (cause.doctype, cause.name)):
			continue
		take_back(
			gift.name,
			gift.points,
			Voucher(
				"Membership Tier",
				gift.voucher_no,
				gift.company,
				cause=Voucher(gift.cause_type, gift.cause_name),
			),
			key=f"tier-fall-back:{gift.name}",
			block_shortfall=settings.block_return_shortfall,
			remarks=_("Tier {0} is no longer held after {1} {2}").format(
				gift.voucher_no, _(cause.doctype), cause.name
			),
		)
	return held.name if held else None


def _standing_gifts(member: str) -> list:
	"""The member's tier gifts not taken back."""
	return frappe.db.sql(
		"""select gift.name, gift.voucher_no, gift.points, gift.company, gift.cause_type, gift.cause_name
		from `tabPoints Ledger Entry` gift
		where gift.member = %s and gift.voucher_type = 'Membership Tier' and gift.points > 0
			and gift.reverses_entry is null
			and not exists (select 1 from `tabPoints Ledger Entry` back
				where back.idempotency_key = concat('tier-fall-back:', gift.name))""",
		member,
		as_dict=True,
	)


def log_tier_change(member, change_type, from_tier, to_tier, on_date, value) -> None:
	frappe.get_doc(
		{
			"doctype": "Member Tier Change",
			"member": member,
			"change_type": change_type,
			"from_tier": from_tier,
			"to_tier": to_tier,
			"changed_on": on_date,
			"qualifying_value": value,
		}
	).insert(ignore_permissions=True)


def review_tiers(on_date: date | None = None) -> dict[str, int]:
	"""Daily: members whose tier period ended keep it, enter grace, or drop one tier.

	Set-based and restartable: each chunk of due members is decided in one query and applied with
	a few UPDATE/INSERT ... SELECT statements in one transaction; a reviewed member is no longer due.
	Each member is judged on the window `engine.tiers.review_window` gives for the end of their tier
	period (a calendar-year tier on the finished year, however late the review runs).
	"""
	settings = get_settings()
	today = getdate(on_date)
	column = "qualifying_amount" if settings.qualifies_by_amount else "qualifying_points"
	valid_until = settings.tier_valid_until(today)
	grace_until = add_days(today, settings.downgrade_grace_days - 1)
	totals = {"kept": 0, "grace": 0, "downgraded": 0}
	frappe.db.commit()  # nosemgrep: the work tables below are DDL, which Frappe allows only between transactions
	_load_review_windows(settings, today)
	after = ""
	while True:
		frappe.db.sql("drop temporary table if exists loyalty_tier_review")
		frappe.db.sql(
			f"""create temporary table loyalty_tier_review (primary key (member)) as
			select m.name as member, m.tier as from_tier, m.tier_in_grace as in_grace,
				t.retention_threshold as retention,
				(select lower.name from `tabMembership Tier` lower where lower.`rank` < t.`rank`
					order by lower.`rank` desc limit 1) as lower_tier,
				(select coalesce(sum(e.{column}), 0) from `tabPoints Ledger Entry` e
					where e.member = m.name and e.posting_datetime >= w.window_start
					and e.posting_datetime < w.window_end + interval 1 day) as value
			from (
				select name, tier, tier_in_grace, tier_valid_until from `tabLoyalty Member`
				where name > %(after)s and tier_valid_until < %(today)s and tier is not null
				order by name limit {REVIEW_CHUNK}
			) m join `tabMembership Tier` t on t.name = m.tier
			join loyalty_review_window w on w.period_end = m.tier_valid_until and w.in_grace = m.tier_in_grace""",
			{"today": today, "after": after},
		)
		due = frappe.db.sql("select count(*) from loyalty_tier_review")[0][0]
		if not due:
			break
		decision = {
			"kept": "r.value >= r.retention",
			"grace": f"r.value < r.retention and not r.in_grace and {settings.downgrade_grace_days} > 0",
			"downgraded": f"r.value < r.retention and (r.in_grace or {settings.downgrade_grace_days} = 0)",
		}
		_log_review_changes(decision, today)
		params = {"today": today, "valid_until": valid_until, "grace_until": grace_until}
		for outcome, condition in decision.items():
			totals[outcome] += frappe.db.sql(f"select count(*) from loyalty_tier_review r where {condition}")[
				0
			][0]
		frappe.db.sql(
			f"""update `tabLoyalty Member` m join loyalty_tier_review r on r.member = m.name
			set m.tier_valid_until = %(valid_until)s, m.tier_in_grace = 0 where {decision["kept"]}""",
			params,
		)
		frappe.db.sql(
			f"""update `tabLoyalty Member` m join loyalty_tier_review r on r.member = m.name
			set m.tier_valid_until = %(grace_until)s, m.tier_in_grace = 1 where {decision["grace"]}""",
			params,
		)
		frappe.db.sql(
			f"""update `tabLoyalty Member` m join loyalty_tier_review r on r.member = m.name
			set m.tier = r.lower_tier, m.tier_since = %(today)s, m.tier_in_grace = 0,
				m.tier_valid_until = if(r.lower_tier is null, null, %(valid_until)s)
			where {decision["downgraded"]}""",
			params,
		)
		after = frappe.db.sql("select max(member) from loyalty_tier_review")[0][0]
		frappe.db.commit()  # nosemgrep: one transaction per chunk keeps the job restartable
	frappe.db.sql_ddl("drop temporary table if exists loyalty_tier_review")
	frappe.db.sql_ddl("drop temporary table if exists loyalty_review_window")
	frappe.logger("loyalty_app").info(f"Tier review {today}: {totals}")
	return totals


def _load_review_windows(settings: ProgrammeSettings, today: date) -> None:
	"""A work table of the window to judge for each (tier period end, in grace) among the due members."""
	frappe.db.sql_ddl("drop temporary table if exists loyalty_review_window")
	frappe.db.sql_ddl(
		"""create temporary table loyalty_review_window (period_end date, in_grace int,
		window_start date, window_end date, primary key (period_end, in_grace))"""
	)
	periods = frappe.db.sql(
		"""select distinct tier_valid_until, tier_in_grace from `tabLoyalty Member`
		where tier_valid_until < %s and tier is not null""",
		today,
	)
	calendar_year = settings.qualification_window != ROLLING_MONTHS
	rows = [
		(
			period_end,
			in_grace,
			*review_window(
				calendar_year=calendar_year,
				months=settings.qualification_months,
				period_end=period_end,
				in_grace=bool(in_grace),
				today=today,
			),
		)
		for period_end, in_grace in periods
	]
	for row in rows:
		frappe.db.sql("insert into loyalty_review_window values (%s, %s, %s, %s)", row)
	frappe.db.commit()  # nosemgrep: the chunks below start their own transactions


def _log_review_changes(decision: dict[str, str], today: date) -> None:
	now = now_datetime()
	user = frappe.session.user
	for change_type, condition, to_tier in (
		("Grace", decision["grace"], "r.from_tier"),
		("Downgrade", decision["downgraded"], "r.lower_tier"),
	):
		frappe.db.sql(
			f"""insert into `tabMember Tier Change` (name, creation, modified, owner, modified_by, docstatus,
				member, change_type, changed_on, from_tier, to_tier, qualifying_value)
			select left(sha2(concat('tier-change:', r.member, ':', %(today)s, ':', %(change_type)s), 256), 20),
				%(now)s, %(now)s, %(user)s, %(user)s, 0,
				r.member, %(change_type)s, %(today)s, r.from_tier, {to_tier}, r.value
			from loyalty_tier_review r where {condition}""",
			{"today": today, "change_type": change_type, "now": now, "user": user},
		)
