"""Messages to members, in two steps.

1. `queue` turns a set of members into Message Log rows with one INSERT IGNORE ... SELECT: one row per
   send key (template + what the message is about + member), so a rerun of a send or a trigger queues
   nothing twice. Only active members with an address on the template's channel are queued, and
   marketing templates only reach members with marketing consent.
2. `deliver_due` claims due rows in chunks: they are locked (SKIP LOCKED, so two workers never take the
   same row) only while they are marked Sending with a lease, and that is committed before any channel
   is called, so no lock is held across a network call. In quiet hours they are deferred to the window's
   end; marketing messages over the member's frequency cap are not sent; the rest are rendered in the
   member's language and handed to the channel (Email Queue, SMS Settings, or the integrator's
   webhook), each outcome committed on its own. A failed attempt is tried again with a doubling delay,
   and after the last one the message stays Failed with its error. A message left Sending by a worker
   that died is due again when its lease ends (so it may go out twice: the webhook carries the Message
   Log's name for the receiver to drop a repeat).
"""

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import frappe
import requests
from frappe import _
from frappe.utils import now_datetime, strip_html

from loyalty_app.engine.outreach import Candidate, retry_at
from loyalty_app.outreach.services.settings import OutreachSettings, get_outreach_settings

TEMPLATE = "Message Template"
MESSAGE_LOG = "Message Log"
PENDING, DEFERRED, SENDING, SENT, CAPPED, SKIPPED, FAILED = (
	"Pending",
	"Deferred",
	"Sending",
	"Sent",
	"Capped",
	"Skipped",
	"Failed",
)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=5)
LEASE = timedelta(minutes=15)
EMAIL, SMS, WEBHOOK = "Email", "SMS", "Webhook"
CHUNK = 500
ADDRESS_CONDITION = {
	EMAIL: "coalesce(m.email, '') <> ''",
	SMS: "coalesce(m.mobile_no, '') <> ''",
	WEBHOOK: "1 = 1",
}
MEMBER_FIELDS = """m.name, m.member_name, m.email, m.mobile_no, m.tier, m.points_balance,
	m.points_expiring_soon, m.next_points_expiry, m.birthday, m.lifecycle_stage, m.referral_code,
	m.customer, m.marketing_consent, m.status"""


class ChannelNotConfiguredError(frappe.ValidationError):
	pass


@dataclass(frozen=True)
class Source:
	"""SQL selecting the columns member, send_key, reference_doctype, reference_name."""

	sql: str
	values: dict


def single(member: str, key: str, reference_doctype: str | None = None, reference_name: str | None = None):
	return Source(
		"""select %(member)s as member, %(key)s as send_key, %(reference_doctype)s as reference_doctype,
			%(reference_name)s as reference_name""",
		{
			"member": member,
			"key": key,
			"reference_doctype": reference_doctype,
			"reference_name": reference_name,
		},
	)


def queue(template_name: str, source: Source, *, message_send: str | None = None, now=None) -> int:
	"""Message Log rows for the source's members; returns how many were new."""
	template = frappe.get_cached_doc(TEMPLATE, template_name)
	if not template.enabled:
		return 0
	now = now or now_datetime()
	consent = "and m.marketing_consent = 1" if template.is_marketing else ""
	frappe.db.sql(
		f"""insert ignore into `tabMessage Log` (name, creation, modified, owner, modified_by, docstatus, idx,
			member, template, purpose, channel, is_marketing, message_send, reference_doctype, reference_name,
			send_key, status, scheduled_for)
		select left(sha2(concat(%(_template)s, ':', src.send_key), 256), 20), %(_now)s, %(_now)s, %(_user)s,
			%(_user)s, 0, 0, m.name, %(_template)s, %(_purpose)s, %(_channel)s, %(_marketing)s, %(_send)s,
			src.reference_doctype, src.reference_name, concat(%(_template)s, ':', src.send_key), 'Pending', %(_now)s
		from ({source.sql}) src join `tabLoyalty Member` m on m.name = src.member
		where m.status = 'Active' {consent} and {ADDRESS_CONDITION[template.channel]}""",
		{
			**source.values,
			"_template": template.name,
			"_purpose": template.purpose,
			"_channel": template.channel,
			"_marketing": template.is_marketing,
			"_send": message_send,
			"_now": now,
			"_user": frappe.session.user,
		},
	)
	return frappe.db.sql("select row_count()")[0][0]


def queue_automatic(purpose: str, source: Source, now=None) -> int:
	"""Queue the source for every enabled automatic template of the purpose, then start delivery."""
	templates = frappe.get_all(
		TEMPLATE, filters={"purpose": purpose, "enabled": 1, "automatic": 1}, pluck="name"
	)
	queued = sum(queue(template, source, now=now) for template in templates)
	if queued:
		frappe.enqueue(
			"loyalty_app.outreach.services.messages.deliver_due",
			queue="short",
			enqueue_after_commit=True,
			job_id=f"loyalty-outreach-deliver:{frappe.local.site}",
			deduplicate=True,
		)
	return queued


def deliver_due(
	now: datetime | None = None,
	message_send: str | None = None,
	progress: Callable[[int], None] | None = None,
	commit: bool = True,
) -> Counter:
	"""Deliver what is due (the send's messages only, when given); returns counts by outcome.

	Scheduled every few minutes; `commit` makes each chunk one transaction (a job) or leaves the
	caller's transaction open (tests, callers inside a request)."""
	now = now or now_datetime()
	settings = get_outreach_settings()
	outcome: Counter = Counter()
	send_condition = "and l.message_send = %(send)s" if message_send else ""
	values = {"now": now, "send": message_send, "chunk": CHUNK}
	if settings.quiet_hours.is_quiet(now.time()):
		frappe.db.sql(
			f"""update `tabMessage Log` l set l.status = 'Deferred', l.scheduled_for = %(until)s
			where l.status in ('Pending', 'Deferred') and l.scheduled_for <= %(now)s {send_condition}""",
			{**values, "until": settings.quiet_hours.next_allowed(now)},
		)
		outcome[DEFERRED] = frappe.db.sql("select row_count()")[0][0]
		if commit:
			frappe.db.commit()  # nosemgrep: a job's unit of work
		return outcome
	while rows := _claim(values, send_condition, commit):
		outcome.update(_deliver_chunk(rows, now, settings, commit))
		if progress:
			progress(sum(outcome.values()))
	return outcome


def _claim(values: dict, send_condition: str, commit: bool) -> list:
	"""Due messages marked Sending under a lease, committed: their row locks end before delivery."""
	rows = frappe.db.sql(
		f"""select l.name, l.member, l.template, l.channel, l.is_marketing, l.reference_doctype,
			l.reference_name, l.attempts + 1 as attempts from `tabMessage Log` l
		where l.status in ('Pending', 'Deferred', 'Sending') and l.scheduled_for <= %(now)s {send_condition}
		order by l.scheduled_for, l.name limit %(chunk)s for update skip locked""",
		values,
		as_dict=True,
	)
	if rows:
		frappe.db.sql(
			"""update `tabMessage Log` set status = 'Sending', attempts = attempts + 1, scheduled_for = %s
			where name in %s""",
			(values["now"] + LEASE, tuple(row.name for row in rows)),
		)
		if commit:
			frappe.db.commit()  # nosemgrep: the claim holds no lock while the channels are called
	return rows


def _deliver_chunk(rows: list, now: datetime, settings: OutreachSettings, commit: bool) -> Counter:
	members = _members({row.member for row in rows}, settings.default_language)
	# consent withdrawn or member frozen/closed since the message was queued
	skipped = [
		row.name
		for row in rows
		if members[row.member].status != "Active"
		or (row.is_marketing and not members[row.member].marketing_consent)
	]
	if skipped:
		frappe.db.sql(
			"update `tabMessage Log` set status = 'Skipped', error = %s where name in %s",
			(_("The member is not active or has withdrawn marketing consent"), tuple(skipped)),
		)
	rows = [row for row in rows if row.name not in skipped]
	allowed, capped = settings.cap.split(
		[Candidate(row.name, row.member, bool(row.is_marketing)) for row in rows],
		_marketing_sent_since(members, settings.cap.window_start(now)),
	)
	if capped:
		frappe.db.sql(
			"update `tabMessage Log` set status = 'Capped', error = %s where name in %s",
			(_("Frequency cap reached"), tuple(capped)),
		)
	if commit:
		frappe.db.commit()  # nosemgrep: each outcome is kept as soon as it is known
	outcome = Counter({CAPPED: len(capped), SKIPPED: len(skipped)})
	references: dict[tuple, object] = {}
	allowed_names = set(allowed)
	for row in rows:
		if row.name not in allowed_names:
			continue
		member = members[row.member]
		outcome[_deliver_one(row, member, now, settings, references)] += 1
		if commit:
			frappe.db.commit()  # nosemgrep: a message handed to its channel is recorded at once
	return outcome


def _deliver_one(row, member, now: datetime, settings: OutreachSettings, references: dict) -> str:
	template = frappe.get_cached_doc(TEMPLATE, row.template)
	key = (row.reference_doctype, row.reference_name)
	if key not in references:
		references[key] = frappe.get_doc(*key) if all(key) and frappe.db.exists(*key) else None
	update = {"language": member.language}
	try:
		subject, body = render(template, member.language, context(member, references[key]), settings)
		update.update(subject=subject, message=body)
		update["recipient"] = CHANNELS[template.channel](row.name, member, template, subject, body, settings)
		update.update(status=SENT, sent_at=now, error=None)
	except Exception as error:
		frappe.log_error(title=_("Message {0} failed").format(row.name), reference_doctype=MESSAGE_LOG)
		reason = str(error)[:1000] or error.__class__.__name__
		if again := retry_at(now, row.attempts, MAX_ATTEMPTS, FIRST_RETRY):
			update.update(
				status=PENDING,
				scheduled_for=again,
				error=_("Attempt {0} of {1} failed: {2}").format(row.attempts, MAX_ATTEMPTS, reason),
			)
		else:
			update.update(status=FAILED, error=reason)
	frappe.db.set_value(MESSAGE_LOG, row.name, update, update_modified=False)
	return update["status"]


def _members(names: set[str], default_language: str) -> dict:
	rows = frappe.db.sql(
		f"""select {MEMBER_FIELDS}, coalesce(nullif(m.message_language, ''), nullif(u.language, ''), %(default)s) as language
		from `tabLoyalty Member` m left join `tabUser` u on u.name = m.user where m.name in %(names)s""",
		{"names": tuple(names), "default": default_language},
		as_dict=True,
	)
	return {row.name: row for row in rows}


def _marketing_sent_since(members: dict, since: datetime) -> dict[str, int]:
	return dict(
		frappe.db.sql(
			"""select member, count(*) from `tabMessage Log` where member in %s and is_marketing = 1
			and status = 'Sent' and sent_at >= %s group by member""",
			(tuple(members), since),
		)
	)


def text_for(template, language: str, default_language: str):
	"""The template's text in the language, else in the default language, else its first text."""
	by_language = {row.language: row for row in template.texts}
	return by_language.get(language) or by_language.get(default_language) or template.texts[0]


def render(template, language: str, ctx: dict, settings: OutreachSettings) -> tuple[str, str]:
	text = text_for(template, language, settings.default_language)
	subject = frappe.render_template(text.subject or "", ctx).strip()
	return subject, frappe.render_template(text.body, ctx).strip()


def context(member, reference) -> dict:
	ctx = {"member": member, "doc": reference}
	if reference is not None and reference.doctype == "Coupon Campaign":
		ctx["coupon_code"] = frappe.db.get_value(
			"Coupon Code",
			{"loyalty_member": member.name, "coupon_campaign": reference.name, "used": 0},
			"coupon_code",
			order_by="creation desc",
		)
	return ctx


def send_email(log: str, member, template, subject: str, body: str, settings: OutreachSettings) -> str:
	frappe.sendmail(
		recipients=[member.email],
		subject=subject,
		message=body,
		reference_doctype=MESSAGE_LOG,
		reference_name=log,
		add_unsubscribe_link=1 if template.is_marketing else 0,
	)
	return member.email


def send_text_message(log: str, member, template, subject: str, body: str, settings: OutreachSettings) -> str:
	from frappe.core.doctype.sms_settings.sms_settings import send_sms

	if not frappe.db.get_single_value("SMS Settings", "sms_gateway_url"):
		raise ChannelNotConfiguredError(_("SMS Settings has no SMS gateway URL"))
	send_sms([member.mobile_no], strip_html(body), success_msg=False)
	return member.mobile_no


def post_to_webhook(log: str, member, template, subject: str, body: str, settings: OutreachSettings) -> str:
	if not settings.webhook_url:
		raise ChannelNotConfiguredError(_("Outreach Settings has no webhook URL"))
	payload = json.dumps(
		{
			"message_log": log,
			"member": member.name,
			"mobile_no": member.mobile_no,
			"email": member.email,
			"purpose": template.purpose,
			"template": template.name,
			"external_template_id": template.external_template_id,
			"language": member.language,
			"subject": subject,
			"body": body,
		},
		ensure_ascii=False,
	).encode()
	response = requests.post(
		settings.webhook_url,
		data=payload,
		headers={"Content-Type": "application/json", "X-Loyalty-Signature": signature(payload, settings)},
		timeout=10,
	)
	response.raise_for_status()
	return settings.webhook_url


def signature(payload: bytes, settings: OutreachSettings) -> str:
	digest = hmac.new(settings.webhook_secret.encode(), payload, hashlib.sha256).digest()
	return base64.b64encode(digest).decode()


CHANNELS = {EMAIL: send_email, SMS: send_text_message, WEBHOOK: post_to_webhook}
