"""Points campaigns: double points, birthday, sign-up, referral and profile-completion bonuses.

Every bonus goes through `award`, which locks the campaign row (SELECT ... FOR UPDATE) before checking
its total and per-member budgets, so two sessions can never take a campaign past its budget. A bonus that
does not fit the remaining budget is not posted at all (no partial bonus). Each bonus has an idempotency
key, so an event or job that runs twice awards once. A bonus names its cause (the invoice of a double-points
or referral bonus, the member of a sign-up bonus) and carries that document's company; when the cause is
reversed, so is the bonus, and `recount_issued` gives the campaign's budget back.
"""

from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import getdate

from loyalty_app.engine.points import to_points
from loyalty_app.loyalty.services.job_runs import catch_up
from loyalty_app.loyalty.services.ledger import Voucher, credit, credit_many, entry_by_key
from loyalty_app.loyalty.services.members import birthday_condition
from loyalty_app.loyalty.services.settings import get_settings
from loyalty_app.utils import drop_cached, locked_value

CAMPAIGN = "Points Campaign"
CAMPAIGNS_CACHE_KEY = "loyalty_app:active_points_campaigns"
PROFILE_FIELDS = ("birthday", "gender", "email")
BIRTHDAY_JOB = "Birthday bonuses"


class ReferralNotAllowedError(frappe.ValidationError):
	pass


def active_campaigns(campaign_type: str, on_date: date | None = None) -> list:
	on_date = getdate(on_date)
	return [
		c
		for c in frappe.cache.get_value(CAMPAIGNS_CACHE_KEY, generator=_load_active_campaigns)
		if c.campaign_type == campaign_type
		and (not c.valid_from or getdate(c.valid_from) <= on_date)
		and (not c.valid_to or getdate(c.valid_to) >= on_date)
	]


def _load_active_campaigns() -> list:
	"""Active campaigns' rules (not their running totals), cached until a campaign changes."""
	return frappe.get_all(
		CAMPAIGN,
		filters={"active": 1},
		fields=[
			"name",
			"campaign_type",
			"bonus_points",
			"referrer_points",
			"multiplier",
			"birthday_rule",
			"lifecycle_stage",
			"rfm_segment",
			"valid_from",
			"valid_to",
		],
	)


def clear_campaign_cache() -> None:
	drop_cached(CAMPAIGNS_CACHE_KEY)


def award(campaign: str, member: str, points: int, key: str, remarks: str, cause: Voucher) -> str | None:
	"""Post a campaign bonus caused by `cause` if the campaign's budgets allow all of it; returns the
	entry or None."""
	if points <= 0:
		return None
	if existing := entry_by_key(key):
		return existing
	locked = frappe.db.sql(
		"""select budget_points, per_member_budget, points_issued, lifecycle_stage, rfm_segment
		from `tabPoints Campaign` where name = %s for update""",
		campaign,
		as_dict=True,
	)
	if not locked:  # deleted since the cached list of active campaigns was read
		return None
	budget = locked[0]
	if not in_segment(member, budget.lifecycle_stage, budget.rfm_segment):
		return None
	if budget.budget_points and budget.points_issued + points > budget.budget_points:
		return None
	if budget.per_member_budget and awarded_to(campaign, member) + points > budget.per_member_budget:
		return None
	entry = credit(
		member, points, "Bonus", Voucher(CAMPAIGN, campaign, cause=cause), key=key, remarks=remarks
	)
	frappe.db.sql(
		"update `tabPoints Campaign` set points_issued = points_issued + %s where name = %s",
		(points, campaign),
	)
	return entry


def in_segment(member: str, lifecycle_stage: str | None, rfm_segment: str | None) -> bool:
	"""Whether the member is in the campaign's segment (no segment set: everyone is)."""
	if not (lifecycle_stage or rfm_segment):
		return True
	stage, segment = frappe.db.get_value("Loyalty Member", member, ["lifecycle_stage", "rfm_segment"])
	return (not lifecycle_stage or stage == lifecycle_stage) and (not rfm_segment or segment == rfm_segment)


def awarded_to(campaign: str, member: str) -> int:
	"""The campaign's points the member holds: its bonuses less what reversals took back from them. Read
	under the campaign's lock with a locking read, so concurrent bonuses see each other."""
	return int(
		locked_value(
			"""select coalesce(sum(points), 0) from `tabPoints Ledger Entry`
			where voucher_type = %s and voucher_no = %s and member = %s""",
			(CAMPAIGN, campaign, member),
		)
	)


def recount_issued(cause: Voucher) -> None:
	"""After `cause` was cancelled or returned: the budgets of the campaigns whose bonuses it caused give
	back what was reversed. A reversal is posted against the campaign it reverses, so what a campaign has
	issued is the sum of the entries against it."""
	for campaign in frappe.get_all(
		"Points Ledger Entry",
		filters={"cause_type": cause.doctype, "cause_name": cause.name, "voucher_type": CAMPAIGN},
		pluck="voucher_no",
		distinct=True,
	):
		frappe.db.sql(
			"""update `tabPoints Campaign` c set c.points_issued = (select coalesce(sum(e.points), 0)
				from `tabPoints Ledger Entry` e where e.voucher_type = %(doctype)s and e.voucher_no = c.name)
			where c.name = %(campaign)s""",
			{"doctype": CAMPAIGN, "campaign": campaign},
		)


def on_earn(member: str, earned_points: int, voucher: Voucher, on_date: date) -> None:
	"""Double-points campaigns post the extra points of a purchase as a bonus."""
	settings = get_settings()
	for campaign in active_campaigns("Double Points", on_date):
		extra = to_points(
			Decimal(earned_points) * (Decimal(str(campaign.multiplier or 1)) - 1), settings.rounding
		)
		award(
			campaign.name,
			member,
			extra,
			key=f"double:{campaign.name}:{voucher.doctype}:{voucher.name}",
			remarks=_("{0} on {1}").format(campaign.name, voucher.name),
			cause=voucher,
		)


def on_enrol(member: str) -> None:
	for campaign in active_campaigns("Sign-up Bonus"):
		award(
			campaign.name,
			member,
			campaign.bonus_points,
			key=f"signup:{campaign.name}:{member}",
			remarks=campaign.name,
			cause=Voucher("Loyalty Member", member),
		)


def on_profile_saved(member) -> None:
	if not all(member.get(field) for field in PROFILE_FIELDS):
		return
	for campaign in active_campaigns("Profile Completion Bonus"):
		award(
			campaign.name,
			member.name,
			campaign.bonus_points,
			key=f"profile:{campaign.name}:{member.name}",
			remarks=campaign.name,
			cause=Voucher("Loyalty Member", member.name),
		)


def on_first_paid_purchase(member: str, purchase: Voucher) -> None:
	"""Both sides of a referral earn once, when the new member first pays for something (`purchase`,
	the cause of both bonuses: cancelling or returning it takes them back)."""
	referrer = frappe.db.get_value("Loyalty Member", member, "referred_by")
	if not referrer:
		return
	for campaign in active_campaigns("Referral Bonus"):
		award(
			campaign.name,
			member,
			campaign.bonus_points,
			key=f"referral:{campaign.name}:{member}:{purchase.name}",
			remarks=_("Referred by {0}").format(referrer),
			cause=purchase,
		)
		award(
			campaign.name,
			referrer,
			campaign.referrer_points,
			key=f"referrer:{campaign.name}:{member}:{purchase.name}",
			remarks=_("Referred {0}").format(member),
			cause=purchase,
		)


def validate_referral(member) -> None:
	"""No self-referral (same member, customer or mobile) and no referral loops."""
	if not member.referred_by:
		return
	referrer = frappe.db.get_value(
		"Loyalty Member", member.referred_by, ["name", "customer", "mobile_no", "referred_by"], as_dict=True
	)
	if not referrer:
		return
	if (
		referrer.name == member.name
		or referrer.customer == member.customer
		or referrer.mobile_no == member.mobile_no
	):
		frappe.throw(_("A member cannot refer themselves"), ReferralNotAllowedError)
	seen, ancestor = {referrer.name}, referrer.referred_by
	while ancestor:
		if ancestor == member.name:
			frappe.throw(
				_("{0} was referred through {1}, so {1} cannot be referred by them").format(
					referrer.name, member.name
				),
				ReferralNotAllowedError,
			)
		if ancestor in seen:
			break
		seen.add(ancestor)
		ancestor = frappe.db.get_value("Loyalty Member", ancestor, "referred_by")


def post_birthday_bonuses(on_date: date | None = None) -> int:
	"""Daily job: the birthday bonuses of each day since its last completed run (`job_runs.catch_up`),
	so a missed day, or a missed 1st for the birthday-month rule, is paid by the next run."""
	return catch_up(BIRTHDAY_JOB, post_birthday_bonuses_on, on_date)


def post_birthday_bonuses_on(day: date) -> int:
	"""One bonus lot per member whose birthday (day, or month on its 1st) falls on `day`, within budget,
	posted by the ledger service in bulk. Returns the bonuses posted."""
	posted = 0
	for campaign in active_campaigns("Birthday Bonus", day):
		in_month = campaign.birthday_rule == "In the birthday month"
		if in_month and day.day != 1:
			continue
		frappe.db.commit()  # nosemgrep: one transaction per campaign
		budget = frappe.db.sql(
			"select budget_points, per_member_budget, points_issued from `tabPoints Campaign` where name = %s for update",
			campaign.name,
			as_dict=True,
		)[0]
		points = campaign.bonus_points or 0
		if not points or (budget.per_member_budget and points > budget.per_member_budget):
			continue
		room = (budget.budget_points - budget.points_issued) // points if budget.budget_points else 10**9
		if room <= 0:
			continue
		key_prefix = f"birthday:{campaign.name}:{day.year}"
		members = frappe.db.sql_list(
			f"""select m.name from `tabLoyalty Member` m
			where m.status = 'Active' and m.birthday is not null and ({birthday_condition(day, whole_month=in_month)})
				and (%(stage)s = '' or m.lifecycle_stage = %(stage)s) and (%(segment)s = '' or m.rfm_segment = %(segment)s)
				and not exists (select 1 from `tabPoints Ledger Entry` e
					where e.idempotency_key = concat(%(key_prefix)s, ':', m.name))
				and (%(per_member)s = 0 or %(points)s + (select coalesce(sum(b.points), 0)
					from `tabPoints Ledger Entry` b where b.member = m.name and b.voucher_type = 'Points Campaign'
					and b.voucher_no = %(campaign)s and b.entry_type = 'Bonus') <= %(per_member)s)
			order by m.name limit %(room)s""",
			{
				"campaign": campaign.name,
				"key_prefix": key_prefix,
				"points": points,
				"room": int(room),
				"per_member": budget.per_member_budget or 0,
				"stage": campaign.lifecycle_stage or "",
				"segment": campaign.rfm_segment or "",
			},
		)
		count = len(
			credit_many(
				[(member, points) for member in members],
				"Bonus",
				Voucher(CAMPAIGN, campaign.name),
				key_prefix=key_prefix,
				remarks=campaign.name,
			)
		)
		frappe.db.sql(
			"update `tabPoints Campaign` set points_issued = points_issued + %s where name = %s",
			(count * points, campaign.name),
		)
		frappe.db.commit()  # nosemgrep
		posted += count
	return posted
