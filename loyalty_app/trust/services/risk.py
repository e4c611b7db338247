"""Points risk rules: evaluated on enrolment, earn, redeem, manual adjustments and returns.

Every hit of an enabled Risk Rule writes a Risk Alert for the Loyalty Manager; the strongest action of the
hits then decides what happens to the transaction:
- Alert only: it goes through.
- Hold for approval: an earn or adjustment is not posted; the alert keeps it and posting it waits for an
  approval (same idempotency key). A redemption is refused with "awaiting approval" until a Loyalty Manager
  approves; the approval then lets one redemption through. An enrolment is accepted with the member Frozen
  until approved. A return (the credit note is already booked) only gets the alert.
- Freeze member: the member is Frozen (cannot earn or redeem until released); the triggering earn or
  adjustment is held, a redemption refused.
- Block: the transaction is refused (a return only gets the alert).
A refused transaction is rolled back; its alerts (and a freeze) are written again after the rollback, so the
manager sees the attempt. Each rule reads indexed rows only: the member's ledger by (member, posting
datetime), entries by (entry_type, posting datetime), signals by (signal_type, value_hash).
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from loyalty_app.engine.risk import (
	is_peer_outlier,
	referral_cycle,
	soon_after,
	strongest_action,
	velocity_exceeded,
	window_start,
)
from loyalty_app.loyalty.services.ledger import PostingRequest
from loyalty_app.loyalty.services.settings import get_settings
from loyalty_app.trust.services.members import set_member_status
from loyalty_app.utils import drop_cached

MEMBER = "Loyalty Member"
ALERT = "Risk Alert"
SIGNAL = "Risk Signal"
RULES_CACHE_KEY = "loyalty_app:risk_rules"
SIGNALS_FLAG = "loyalty_risk_signals"
INVOICES = ("Sales Invoice", "POS Invoice")

ALERT_ONLY, HOLD, FREEZE, BLOCK = "Alert only", "Hold for approval", "Freeze member", "Block"
SIGNAL_TYPES = {"device_id": "Device", "address": "Address", "payment_reference": "Payment reference"}
SHARED_RULES = {
	"Shared device": "Device",
	"Shared address": "Address",
	"Shared payment reference": "Payment reference",
}


class RiskBlockedError(frappe.ValidationError):
	pass


class HeldForApprovalError(frappe.ValidationError):
	pass


class MobileNotVerifiedError(frappe.ValidationError):
	pass


@dataclass
class Subject:
	"""What a rule looks at: the member, the event and the transaction that triggered it."""

	member: str
	event: str
	moment: datetime
	user: str
	points: int = 0
	reference: tuple[str | None, str | None] = (None, None)
	posting: PostingRequest | None = None
	referrer: str | None = None
	signals: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
	rule: frappe._dict
	summary: str
	evidence: dict


# Rules


def enabled_rules() -> list[frappe._dict]:
	"""Enabled rules, cached until a rule changes (Risk Rule clears the cache on save and delete)."""
	return frappe.cache.get_value(RULES_CACHE_KEY, generator=_load_rules)


def _load_rules() -> list[frappe._dict]:
	return frappe.get_all(
		"Risk Rule",
		filters={"enabled": 1},
		fields=[
			"name",
			"rule_type",
			"action",
			"severity",
			"window_hours",
			"max_points",
			"max_transactions",
			"max_members",
			"outlier_threshold",
			"min_peers",
		],
	)


def clear_rule_cache() -> None:
	drop_cached(RULES_CACHE_KEY)


def _since(rule, subject: Subject) -> datetime:
	return window_start(subject.moment, rule.window_hours or 24)


def _earning_velocity(rule, subject: Subject) -> Hit | None:
	if subject.event != "Earn":
		return None
	# a locking read under the member lock the ledger holds: concurrent earns see each other
	points, count = frappe.db.sql(
		"""select coalesce(sum(points), 0), count(*) from `tabPoints Ledger Entry`
		where member = %s and entry_type = 'Earn' and posting_datetime >= %s for update""",
		(subject.member, _since(rule, subject)),
	)[0]
	points, count = int(points) + subject.points, int(count) + 1
	if not velocity_exceeded(points, count, rule.max_points or 0, rule.max_transactions or 0):
		return None
	return Hit(
		rule,
		_("{0} points in {1} earn transactions within {2} hours").format(points, count, rule.window_hours),
		{"points_in_window": points, "transactions_in_window": count, "window_hours": rule.window_hours},
	)


def _redemption_after_enrolment(rule, subject: Subject) -> Hit | None:
	if subject.event != "Redeem":
		return None
	enrolled = frappe.db.get_value(MEMBER, subject.member, "creation")
	if not soon_after(get_datetime(enrolled), subject.moment, rule.window_hours or 24):
		return None
	return Hit(
		rule,
		_("Redemption of {0} points within {1} hours of enrolment").format(subject.points, rule.window_hours),
		{"enrolled_at": str(enrolled), "points": subject.points, "window_hours": rule.window_hours},
	)


def _return_cycle(rule, subject: Subject) -> Hit | None:
	"""Returns in the window of purchases whose points were followed by a redemption before the return."""
	if subject.event != "Return":
		return None
	cycles = frappe.db.sql(
		"""select take.reverses_entry from `tabPoints Ledger Entry` take
		join `tabPoints Ledger Entry` lot on lot.name = take.reverses_entry
		where take.member = %(member)s and take.posting_datetime >= %(since)s and take.entry_type = 'Reverse'
			and take.voucher_type in %(invoices)s
			and exists (select 1 from `tabPoints Ledger Entry` spend where spend.member = take.member
				and spend.entry_type = 'Redeem'
				and spend.posting_datetime between lot.posting_datetime and take.posting_datetime)
		group by take.reverses_entry""",
		{"member": subject.member, "since": _since(rule, subject), "invoices": INVOICES},
		pluck=True,
	)
	if len(cycles) <= (rule.max_transactions or 0):
		return None
	return Hit(
		rule,
		_("{0} purchases earned, redeemed and returned within {1} hours").format(
			len(cycles), rule.window_hours
		),
		{"cycles": len(cycles), "earn_entries": cycles, "window_hours": rule.window_hours},
	)


def _shared_identifier(rule, subject: Subject) -> Hit | None:
	signal_type = SHARED_RULES[rule.rule_type]
	for kind, value_hash in subject.signals:
		if kind != signal_type:
			continue
		members = frappe.get_all(
			SIGNAL,
			filters={"signal_type": kind, "value_hash": value_hash},
			pluck="member",
			distinct=True,
			limit=(rule.max_members or 0) + 20,
		)
		if len(members) > (rule.max_members or 0):
			return Hit(
				rule,
				_("{0} members share one {1}").format(len(members), _(kind).lower()),
				{"signal_type": kind, "members": sorted(members), "max_members": rule.max_members},
			)
	return None


def _referral_ring(rule, subject: Subject) -> Hit | None:
	if not subject.referrer:
		return None
	ring = referral_cycle(
		subject.member, subject.referrer, lambda m: frappe.db.get_value(MEMBER, m, "referred_by")
	)
	if ring:
		return Hit(rule, _("Referral ring: {0}").format(" → ".join(ring)), {"ring": ring})
	if not rule.max_transactions:
		return None
	referred = frappe.db.count(
		MEMBER, {"referred_by": subject.referrer, "creation": (">=", _since(rule, subject))}
	)
	if referred <= rule.max_transactions:
		return None
	return Hit(
		rule,
		_("Member {0} referred {1} members within {2} hours").format(
			subject.referrer, referred, rule.window_hours
		),
		{"referrer": subject.referrer, "referred_in_window": referred, "window_hours": rule.window_hours},
	)


def _manual_adjustment(rule, subject: Subject) -> Hit | None:
	if subject.event != "Adjustment" or abs(subject.points) <= (rule.max_points or 0):
		return None
	return Hit(
		rule,
		_("Manual adjustment of {0} points, above the limit of {1}").format(subject.points, rule.max_points),
		{"points": subject.points, "limit": rule.max_points, "user": subject.user},
	)


def _clerk_outlier(rule, subject: Subject) -> Hit | None:
	"""The acting user's adjustments (or returns) in the window against the other users' (median/MAD)."""
	if subject.event == "Adjustment":
		condition, pending = "entry_type = 'Adjust'", 1  # checked before its own entry is written
	elif subject.event == "Return":
		condition, pending = (
			"entry_type = 'Reverse' and reverses_entry is not null and voucher_type in %(invoices)s",
			0,
		)
	else:
		return None
	counts = dict(
		frappe.db.sql(
			f"""select owner, count(*) from `tabPoints Ledger Entry`
			where {condition} and posting_datetime >= %(since)s group by owner""",
			{"since": _since(rule, subject), "invoices": INVOICES},
		)
	)
	mine = counts.pop(subject.user, 0) + pending
	peers = [float(c) for c in counts.values()]
	threshold = rule.outlier_threshold or 3.5
	if not is_peer_outlier(mine, peers, threshold, rule.min_peers or 3):
		return None
	what = _("adjustments") if subject.event == "Adjustment" else _("returns")
	return Hit(
		rule,
		_("User {0} made {1} {2} within {3} hours, far above their peers").format(
			subject.user, mine, what, rule.window_hours
		),
		{"user": subject.user, "count": mine, "peer_counts": counts, "threshold": threshold},
	)


RULES: dict[str, tuple[Callable[[frappe._dict, Subject], Hit | None], tuple[str, ...]]] = {
	"Earning velocity": (_earning_velocity, ("Earn",)),
	"Redemption soon after enrolment": (_redemption_after_enrolment, ("Redeem",)),
	"Earn-redeem-return cycle": (_return_cycle, ("Return",)),
	"Shared device": (_shared_identifier, ("Enrolment", "Earn", "Redeem")),
	"Shared address": (_shared_identifier, ("Enrolment", "Earn", "Redeem")),
	"Shared payment reference": (_shared_identifier, ("Enrolment", "Earn", "Redeem")),
	"Referral ring": (_referral_ring, ("Enrolment", "Profile")),
	"Manual adjustment above limit": (_manual_adjustment, ("Adjustment",)),
	"Clerk outlier": (_clerk_outlier, ("Adjustment", "Return")),
}


def evaluate(subject: Subject) -> list[Hit]:
	hits = []
	for rule in enabled_rules():
		check, events = RULES[rule.rule_type]
		if subject.event in events and (hit := check(rule, subject)):
			hits.append(hit)
	return hits


# Channel signals (device id, address, payment reference)


@contextmanager
def channel_signals(**values: str | None) -> Iterator[None]:
	"""Identifiers the channel sent with this call (device_id, address, payment_reference), for the rules."""
	frappe.flags[SIGNALS_FLAG] = {k: v for k, v in values.items() if k in SIGNAL_TYPES and (v or "").strip()}
	try:
		yield
	finally:
		frappe.flags.pop(SIGNALS_FLAG, None)


def hash_signal(value: str) -> str:
	return hashlib.sha256(" ".join(value.lower().split()).encode()).hexdigest()


def _record_signals(member: str, reference: tuple[str | None, str | None]) -> list[tuple[str, str]]:
	"""Store this call's signals for the member (hashed, once per value) and return them."""
	signals = []
	for key, value in (frappe.flags.get(SIGNALS_FLAG) or {}).items():
		kind, value_hash = SIGNAL_TYPES[key], hash_signal(value)
		signals.append((kind, value_hash))
		if not frappe.db.exists(SIGNAL, {"signal_type": kind, "value_hash": value_hash, "member": member}):
			frappe.get_doc(
				{
					"doctype": SIGNAL,
					"member": member,
					"signal_type": kind,
					"value_hash": value_hash,
					"source_doctype": reference[0],
					"source_name": reference[1],
				}
			).db_insert()
	return signals


# Hook points


EVENTS = {
	("credit", "Earn"): "Earn",
	("credit", "Reverse"): "Return",  # a return's points refund
	("debit", "Redeem"): "Redeem",
	("credit", "Adjust"): "Adjustment",
	("debit", "Adjust"): "Adjustment",
}


def check_posting(request: PostingRequest) -> bool:
	"""`loyalty_posting_checks` hook of the ledger: False holds the posting, an exception refuses it."""
	event = EVENTS[(request.action, request.entry_type)]
	if event == "Redeem":
		_check_mobile_verified(request.member)
	reference = (request.voucher.doctype, request.voucher.name)
	subject = Subject(
		member=request.member,
		event=event,
		moment=get_datetime(request.options.get("posting_datetime") or now_datetime()),
		user=frappe.session.user,
		# signed for adjustments (a debit is negative), the amount for earn and redeem
		points=-request.points if event == "Adjustment" and request.action == "debit" else request.points,
		reference=reference,
		posting=request,
		signals=_record_signals(request.member, reference),
	)
	if not enabled_rules():
		return True
	if held := _open_hold(request.key):
		# the same posting asked again (a replayed call) while its alert waits: still held
		if event == "Redeem":
			_refuse_held(held)
		return False
	return _act(subject, evaluate(subject))


def check_enrolment(member, method=None) -> None:
	"""Loyalty Member on_update: a new member (Enrolment) or a changed referrer (Profile)."""
	if member.flags.in_insert:
		event = "Enrolment"
	elif member.has_value_changed("referred_by") and member.referred_by:
		event = "Profile"
	else:
		return
	reference = (MEMBER, member.name)
	subject = Subject(
		member=member.name,
		event=event,
		moment=now_datetime(),
		user=frappe.session.user,
		reference=reference,
		referrer=member.referred_by,
		signals=_record_signals(member.name, reference) if event == "Enrolment" else [],
	)
	_act(subject, evaluate(subject))


def check_return(invoice, method=None) -> None:
	"""Sales / POS Invoice on_submit, after the loyalty posting: rules on returns. A return that refunds
	points was checked already, when its refund was posted (the posting checks can hold the refund)."""
	if not (invoice.is_return and invoice.get("loyalty_member")) or invoice.get("is_consolidated"):
		return
	if _refunds_points(invoice):
		return
	subject = Subject(
		member=invoice.loyalty_member,
		event="Return",
		moment=now_datetime(),
		user=frappe.session.user,
		reference=(invoice.doctype, invoice.name),
	)
	_act(subject, evaluate(subject))


def _refunds_points(invoice) -> bool:
	mode_of_payment = get_settings().redemption_mode_of_payment
	return any(p.mode_of_payment == mode_of_payment and p.amount < 0 for p in invoice.get("payments", []))


def _check_mobile_verified(member: str) -> None:
	if not frappe.get_cached_doc("Loyalty Settings").get("require_verified_mobile"):
		return
	if not frappe.db.get_value(MEMBER, member, "mobile_verified"):
		frappe.throw(
			_(
				"Member {0} cannot redeem points until their mobile number is verified. "
				"Verify it (SMS code or seeing the customer at the till) and try again."
			).format(member),
			MobileNotVerifiedError,
			title=_("Mobile number not verified"),
		)


# Actions


def _act(subject: Subject, hits: list[Hit]) -> bool:
	"""Write the alerts and carry out the strongest action; True lets the transaction go on."""
	if not hits:
		return True
	if subject.event == "Redeem":
		hits = [hit for hit in hits if not _use_approval(subject, hit)]
		if not hits:
			return True
	action = strongest_action(hit.rule.action for hit in hits)
	holds_posting = subject.posting is not None and subject.event != "Redeem" and action in (HOLD, FREEZE)
	alerts = [_alert_values(subject, hit, held=holds_posting and hit.rule.action == action) for hit in hits]
	for values in alerts:
		_insert_alert(values)
	freeze = action == FREEZE or (action == HOLD and subject.event in ("Enrolment", "Profile"))
	if freeze:
		reason = _("Awaiting approval: {0}") if action == HOLD else _("Frozen by risk rule: {0}")
		set_member_status(subject.member, "Frozen", reason.format(hits[0].summary))
	refused = subject.event not in ("Return", "Enrolment", "Profile") and (
		action == BLOCK or (subject.event == "Redeem" and action in (HOLD, FREEZE))
	)
	if subject.event in ("Enrolment", "Profile") and action == BLOCK:
		refused = True
	if refused:
		frappe.db.after_rollback.add(partial(keep_after_rollback, alerts, subject.member if freeze else None))
		summaries = "; ".join(hit.summary for hit in hits)
		if action == BLOCK:
			frappe.throw(_("Refused by the risk rules: {0}").format(summaries), RiskBlockedError)
		frappe.throw(
			_("This redemption is awaiting a Loyalty Manager's approval ({0})").format(summaries),
			HeldForApprovalError,
			title=_("Awaiting approval"),
		)
	return not holds_posting


def _alert_values(subject: Subject, hit: Hit, held: bool) -> dict:
	posting = subject.posting
	return {
		"doctype": ALERT,
		"member": subject.member,
		"risk_rule": hit.rule.name,
		"rule_type": hit.rule.rule_type,
		"event": subject.event,
		"status": "Open",
		"severity": hit.rule.severity,
		"action_taken": hit.rule.action,
		"triggered_by": subject.user,
		"summary": hit.summary,
		"evidence": json.dumps(hit.evidence, default=str, sort_keys=True),
		"reference_doctype": subject.reference[0],
		"reference_name": subject.reference[1],
		"posting_key": posting.key if posting else None,
		"held_posting": json.dumps(_posting_json(posting), default=str) if held else None,
	}


def _posting_json(posting: PostingRequest) -> dict:
	return {
		"action": posting.action,
		"member": posting.member,
		"points": posting.points,
		"entry_type": posting.entry_type,
		"voucher": [posting.voucher.doctype, posting.voucher.name, posting.voucher.company],
		"key": posting.key,
		"options": posting.options,
	}


def _insert_alert(values: dict) -> str:
	alert = frappe.get_doc(values)
	alert.insert(ignore_permissions=True)
	return alert.name


def keep_after_rollback(alerts: list[dict], frozen_member: str | None) -> None:
	"""After a refused transaction is rolled back: write its alerts (and freeze) again, and commit them.

	The refused transaction's own documents (e.g. the External Transaction of a blocked earn) are gone with
	the rollback, so an alert keeps their names in its evidence only. Failing here must not turn the
	caller's clear refusal into a server error, so a failure is logged instead.
	"""
	if frappe.flags.in_test or not frappe.db.exists(MEMBER, alerts[0]["member"]):
		return
	try:
		for values in alerts:
			if not _open_alert_like(values):
				_insert_alert(_without_vanished_reference(values))
		if frozen_member:
			set_member_status(
				frozen_member, "Frozen", _("Frozen by risk rule: {0}").format(alerts[0]["summary"])
			)
		frappe.db.commit()  # nosemgrep: the refused request's own transaction was rolled back
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title=_("Risk alerts of a refused transaction could not be kept"))


def _without_vanished_reference(values: dict) -> dict:
	doctype, name = values["reference_doctype"], values["reference_name"]
	if not name or frappe.db.exists(doctype, name):
		return values
	evidence = {**json.loads(values["evidence"]), "refused_reference": [doctype, name]}
	return {
		**values,
		"reference_doctype": None,
		"reference_name": None,
		"evidence": json.dumps(evidence, default=str, sort_keys=True),
	}


def _open_alert_like(values: dict) -> str | None:
	return frappe.db.get_value(
		ALERT,
		{
			"member": values["member"],
			"risk_rule": values["risk_rule"],
			"status": "Open",
			"posting_key": values["posting_key"],
		},
	)


def _open_hold(key: str) -> frappe._dict | None:
	return frappe.db.get_value(
		ALERT, {"posting_key": key, "status": "Open"}, ["name", "summary"], as_dict=True
	)


def _refuse_held(alert) -> None:
	frappe.throw(
		_("This redemption is awaiting a Loyalty Manager's approval ({0})").format(alert.summary),
		HeldForApprovalError,
		title=_("Awaiting approval"),
	)


def _use_approval(subject: Subject, hit: Hit) -> bool:
	"""An approved hold of this member and rule lets one later redemption through (used up here)."""
	approved = frappe.db.get_value(
		ALERT,
		{
			"member": subject.member,
			"risk_rule": hit.rule.name,
			"event": "Redeem",
			"status": "Approved",
			"approval_used": 0,
		},
	)
	if approved:
		frappe.db.set_value(
			ALERT,
			approved,
			{"approval_used": 1, "posting_key": subject.posting.key if subject.posting else None},
		)
	return bool(approved)
