"""Lifecycle stages: refreshed for one member on each purchase, for everyone by a nightly set-based job.

The nightly SQL applies the same rules as engine.lifecycle.stage (a test holds the two to agreement):
each chunk of members (keyset-paginated by name) gets its new stage computed in one query; changes are
recorded as Lifecycle Stage Change rows and applied with one UPDATE, one transaction per chunk.
"""

from datetime import date

import frappe
from frappe.utils import getdate, now_datetime

from loyalty_app.engine.lifecycle import History, LifecycleRules, Stage, stage
from loyalty_app.outreach.services.triggers import win_back_offered
from loyalty_app.rewards.services.coupons import insert_codes

MEMBER = "Loyalty Member"
STAGE_CHUNK = 10_000


def rules() -> LifecycleRules:
	doc = frappe.get_cached_doc("Loyalty Settings")
	return LifecycleRules(
		loyal_min_purchases=doc.loyal_min_purchases or 5,
		at_risk_factor=doc.at_risk_factor or 2.0,
		at_risk_days=doc.at_risk_days or 90,
		lapsed_days=doc.lapsed_days or 180,
	)


def refresh_member(member: str, today: date | None = None) -> str:
	today = getdate(today)
	m = frappe.db.get_value(
		MEMBER,
		member,
		[
			"purchase_count",
			"first_purchase_date",
			"last_purchase_date",
			"lifecycle_stage",
			"feedback_risk",
			"feedback_risk_until",
			"last_event_attended",
		],
		as_dict=True,
	)
	history = History(
		m.purchase_count or 0,
		getdate(m.first_purchase_date) if m.first_purchase_date else None,
		getdate(m.last_purchase_date) if m.last_purchase_date else None,
		Stage(m.lifecycle_stage) if m.lifecycle_stage else None,
		m.feedback_risk or "",
		getdate(m.feedback_risk_until) if m.feedback_risk_until else None,
		getdate(m.last_event_attended) if m.last_event_attended else None,
	)
	new_stage, reason = stage(history, today, rules())
	if new_stage != m.lifecycle_stage:
		frappe.get_doc(
			{
				"doctype": "Lifecycle Stage Change",
				"member": member,
				"from_stage": m.lifecycle_stage,
				"to_stage": new_stage,
				"changed_on": today,
				"reason": reason,
			}
		).insert(ignore_permissions=True)
		frappe.db.set_value(
			MEMBER,
			member,
			{"lifecycle_stage": new_stage, "lifecycle_stage_since": today},
			update_modified=False,
		)
	return new_stage


# Days since the member was last in touch: their last purchase, or a member event they came to since.
OUT_OF_TOUCH = "datediff(%(today)s, greatest(m.last_purchase_date, coalesce(m.last_event_attended, m.last_purchase_date)))"

STAGE_SQL = f"""
	case
		when m.purchase_count <= 0 or m.last_purchase_date is null then 'New'
		when datediff(%(today)s, m.last_purchase_date) > %(lapsed_days)s then 'Lapsed'
		when coalesce(m.feedback_risk, '') <> ''
			and (m.feedback_risk_until is null or m.feedback_risk_until >= %(today)s) then 'At risk'
		when m.purchase_count >= 2 and m.first_purchase_date is not null
			and {OUT_OF_TOUCH}
				> datediff(m.last_purchase_date, m.first_purchase_date) / (m.purchase_count - 1) * %(factor)s
			then 'At risk'
		when {OUT_OF_TOUCH} > %(at_risk_days)s then 'At risk'
		when m.purchase_count >= %(loyal)s then 'Loyal'
		when m.lifecycle_stage in ('At risk', 'Lapsed', 'Won back') then 'Won back'
		when m.purchase_count = 1 then 'First purchase'
		else 'Active'
	end"""

REASON_SQL = f"""
	case
		when m.purchase_count > 0 and datediff(%(today)s, m.last_purchase_date) > %(lapsed_days)s
			then concat('No purchase for ', datediff(%(today)s, m.last_purchase_date), ' days (lapsed after ',
				%(lapsed_days)s, ')')
		when m.purchase_count > 0 and coalesce(m.feedback_risk, '') <> ''
			and (m.feedback_risk_until is null or m.feedback_risk_until >= %(today)s) then m.feedback_risk
		when m.purchase_count >= 2 and m.first_purchase_date is not null
			and {OUT_OF_TOUCH}
				> datediff(m.last_purchase_date, m.first_purchase_date) / (m.purchase_count - 1) * %(factor)s
			then concat('No purchase for ', datediff(%(today)s, m.last_purchase_date), ' days; usually every ',
				round(datediff(m.last_purchase_date, m.first_purchase_date) / (m.purchase_count - 1)), ' days')
		when m.purchase_count > 0 and {OUT_OF_TOUCH} > %(at_risk_days)s
			then concat('No purchase for ', datediff(%(today)s, m.last_purchase_date), ' days (at risk after ',
				%(at_risk_days)s, ')')
		else ''
	end"""


def refresh_stages(today: date | None = None) -> dict[str, int]:
	"""Nightly: every member's stage; returns how many changed into each stage."""
	today = getdate(today)
	r = rules()
	params = {
		"today": today,
		"lapsed_days": r.lapsed_days,
		"at_risk_days": r.at_risk_days,
		"factor": r.at_risk_factor,
		"loyal": r.loyal_min_purchases,
		"now": now_datetime(),
		"user": frappe.session.user,
		"chunk": STAGE_CHUNK,
	}
	changed: dict[str, int] = {}
	after = ""
	frappe.db.commit()  # nosemgrep: the work table is DDL, which Frappe allows only between transactions
	while True:
		frappe.db.sql("drop temporary table if exists loyalty_stage")
		frappe.db.sql(
			f"""create temporary table loyalty_stage (primary key (member)) as
			select m.name as member, m.lifecycle_stage as from_stage, {STAGE_SQL} as to_stage,
				{REASON_SQL} as reason
			from `tabLoyalty Member` m where m.name > %(after)s order by m.name limit %(chunk)s""",
			{**params, "after": after},
		)
		last = frappe.db.sql("select max(member) from loyalty_stage")[0][0]
		if not last:
			break
		frappe.db.sql(
			"""insert into `tabLifecycle Stage Change` (name, creation, modified, owner, modified_by, docstatus,
				member, from_stage, to_stage, changed_on, reason)
			select left(sha2(concat('stage:', member, ':', %(now)s, ':', to_stage), 256), 20),
				%(now)s, %(now)s, %(user)s, %(user)s, 0, member, from_stage, to_stage, %(today)s, reason
			from loyalty_stage where to_stage <> coalesce(from_stage, '')""",
			params,
		)
		for to_stage, count in frappe.db.sql(
			"select to_stage, count(*) from loyalty_stage where to_stage <> coalesce(from_stage, '') group by to_stage"
		):
			changed[to_stage] = changed.get(to_stage, 0) + count
		frappe.db.sql(
			"""update `tabLoyalty Member` m join loyalty_stage s on s.member = m.name
			set m.lifecycle_stage = s.to_stage, m.lifecycle_stage_since = %(today)s
			where s.to_stage <> coalesce(s.from_stage, '')""",
			params,
		)
		offer_win_back(today)
		frappe.db.commit()  # nosemgrep: one transaction per chunk keeps the job restartable
		after = last
	frappe.db.sql_ddl("drop temporary table if exists loyalty_stage")
	frappe.logger("loyalty_app").info(f"Lifecycle stages {today}: {changed}")
	return changed


def offer_win_back(today: date) -> int:
	"""Members of the current chunk who just became at risk get a win-back code, once per cool-down."""
	settings = frappe.get_cached_doc("Loyalty Settings")
	if not settings.win_back_campaign:
		return 0
	members = frappe.db.sql_list(
		"""select m.name from loyalty_stage s join `tabLoyalty Member` m on m.name = s.member
		where s.to_stage = 'At risk' and coalesce(s.from_stage, '') <> 'At risk'
			and m.marketing_consent = 1 and m.status = 'Active'
			and (m.last_win_back_on is null or m.last_win_back_on <= %s - interval %s day)""",
		(today, settings.win_back_cooldown_days or 0),
	)
	if members:
		insert_codes(frappe.get_doc("Coupon Campaign", settings.win_back_campaign), members)
		frappe.db.sql(
			"update `tabLoyalty Member` set last_win_back_on = %s where name in %s", (today, tuple(members))
		)
		win_back_offered(members, settings.win_back_campaign, today)
	return len(members)
