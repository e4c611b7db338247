"""Reaching members: templates in zh and en, consent, frequency cap, quiet hours, sends that never
send twice, the webhook channel and automatic messages."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import frappe
from frappe.tests.utils import FrappeTestCase, change_settings
from frappe.utils import add_days, getdate, now_datetime

from loyalty_app.loyalty.services.tiers import ensure_tier, log_tier_change
from loyalty_app.outreach.services import messages, sends, triggers
from loyalty_app.outreach.services.defaults import ensure_default_templates
from loyalty_app.outreach.services.settings import get_outreach_settings
from loyalty_app.tests.race import Fixtures, committed
from loyalty_app.tests.utils import make_member

NO_LIMITS = {
	"quiet_hours_start": None,
	"quiet_hours_end": None,
	"frequency_cap_messages": 0,
	"default_language": "zh",
	"webhook_url": None,
}
NOON = datetime(2030, 5, 6, 12, 0)


def ensure_email_account() -> None:
	if not frappe.db.exists("Email Account", "_LP Outreach"):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": "_LP Outreach",
				"email_id": "outreach@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "localhost",
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)


def make_template(
	name: str, purpose: str = "Holiday", marketing: bool = True, channel: str = "Email", **fields
):
	if frappe.db.exists("Message Template", name):
		frappe.delete_doc("Message Template", name, force=True)
	return (
		frappe.get_doc(
			{
				"doctype": "Message Template",
				"template_name": name,
				"purpose": purpose,
				"channel": channel,
				"is_marketing": int(marketing),
				"texts": [
					{
						"language": "en",
						"subject": "Hello {{ member.member_name }}",
						"body": "Hi {{ member.member_name }}",
					},
					{
						"language": "zh",
						"subject": "你好 {{ member.member_name }}",
						"body": "您好 {{ member.member_name }}",
					},
				],
				**fields,
			}
		)
		.insert()
		.name
	)


def make_tag() -> str:
	tag = f"_LP Reach {frappe.generate_hash(length=6)}"
	frappe.get_doc({"doctype": "Tag", "name": tag}).insert(ignore_permissions=True)
	return tag


def tagged_member(tag: str, **profile) -> str:
	name = profile.pop("member_name", "Reach Member")
	return make_member(
		member_name=name,
		email=f"{frappe.generate_hash(length=8)}@example.com",
		tags=[{"tag": tag}],
		**profile,
	)


def make_send(template: str, tag: str) -> str:
	return (
		frappe.get_doc({"doctype": "Message Send", "title": template, "template": template, "tag": tag})
		.insert()
		.name
	)


def logs(**filters) -> list:
	return frappe.get_all(
		"Message Log",
		filters=filters,
		fields=[
			"name",
			"member",
			"status",
			"scheduled_for",
			"subject",
			"message",
			"language",
			"error",
			"attempts",
		],
		order_by="creation",
	)


def emails_for(log_names: list[str]) -> list:
	if not log_names:
		return []
	return frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Message Log", "reference_name": ("in", log_names)},
		fields=["name", "reference_name", "message"],
	)


class OutreachTestCase(FrappeTestCase):
	def setUp(self):
		ensure_email_account()
		ensure_default_templates()
		self.settings = change_settings("Outreach Settings", NO_LIMITS)
		self.settings.__enter__()
		self.tag = make_tag()

	def tearDown(self):
		self.settings.__exit__(None, None, None)


class TestTemplates(OutreachTestCase):
	def test_default_templates_render_in_the_members_language(self):
		template = frappe.get_doc("Message Template", "Welcome")
		self.assertEqual({row.language for row in template.texts}, {"zh", "en"})
		settings = get_outreach_settings()
		for language, subject, words in (
			("zh", "欢迎加入会员", "亲爱的 王芳"),
			("en", "Welcome to our membership", "Dear 王芳"),
			("de", "欢迎加入会员", "亲爱的 王芳"),  # no German text: the default language
		):
			member = frappe._dict(member_name="王芳", referral_code="ABCD2345")
			rendered_subject, body = messages.render(
				template, language, messages.context(member, None), settings
			)
			self.assertEqual(rendered_subject, subject)
			self.assertIn(words, body)
			self.assertIn("ABCD2345", body)

	def test_enrolment_sends_the_welcome_in_the_members_language(self):
		zh = tagged_member(self.tag, member_name="李雷")
		en = tagged_member(self.tag, member_name="Lily", message_language="en")
		messages.deliver_due(now_datetime(), commit=False)
		welcome = {row.member: row for row in logs(template="Welcome", member=("in", [zh, en]))}
		self.assertEqual(welcome[zh].status, "Sent")
		self.assertEqual(welcome[zh].language, "zh")
		self.assertEqual(welcome[zh].subject, "欢迎加入会员")
		self.assertEqual(welcome[en].subject, "Welcome to our membership")
		emails = emails_for([welcome[zh].name, welcome[en].name])
		self.assertEqual(len(emails), 2)
		self.assertIn("亲爱的 李雷", welcome[zh].message)
		self.assertIn("Dear Lily", welcome[en].message)

	def test_a_broken_template_is_refused(self):
		with self.assertRaises(frappe.ValidationError):
			make_template("_LP Broken", texts=[{"language": "en", "subject": "x", "body": "{% if %}"}])


class TestSends(OutreachTestCase):
	def test_marketing_reaches_only_members_with_consent(self):
		consenting = tagged_member(self.tag, marketing_consent=1)
		refusing = tagged_member(self.tag, marketing_consent=0)
		marketing = make_send(make_template("_LP Sale"), self.tag)
		sends.run_send(marketing, now=NOON, commit=False)
		sent = logs(message_send=marketing)
		self.assertEqual([(row.member, row.status) for row in sent], [(consenting, "Sent")])
		self.assertEqual(len(emails_for([row.name for row in sent])), 1)
		self.assertFalse(frappe.get_all("Message Log", filters={"member": refusing, "is_marketing": 1}))
		# a service message still reaches both
		service = make_send(
			make_template("_LP Store Notice", purpose="Reward ready for pickup", marketing=False), self.tag
		)
		sends.run_send(service, now=NOON, commit=False)
		self.assertEqual(
			{row.member for row in logs(message_send=service, status="Sent")}, {consenting, refusing}
		)

	def test_a_rerun_sends_nothing_twice(self):
		first = tagged_member(self.tag, marketing_consent=1)
		send = make_send(make_template("_LP Rerun"), self.tag)
		self.assertEqual(sends.run_send(send, now=NOON, commit=False)["sent_count"], 1)
		figures = sends.run_send(send, now=NOON + timedelta(minutes=5), commit=False)
		self.assertEqual(figures["recipients"], 1)
		self.assertEqual(len(emails_for([row.name for row in logs(message_send=send)])), 1)
		# a member who joined the segment since gets it; the first still only once
		second = tagged_member(self.tag, marketing_consent=1)
		figures = sends.run_send(send, now=NOON + timedelta(minutes=10), commit=False)
		self.assertEqual((figures["recipients"], figures["sent_count"]), (2, 2))
		sent = logs(message_send=send)
		self.assertEqual(sorted(row.member for row in sent), sorted([first, second]))
		self.assertEqual(len(emails_for([row.name for row in sent])), 2)
		self.assertEqual(frappe.db.get_value("Message Send", send, "status"), "Completed")

	def test_quiet_hours_defer_until_the_window_ends(self):
		member = tagged_member(self.tag, marketing_consent=1)
		send = make_send(make_template("_LP Night"), self.tag)
		late = datetime(2030, 5, 6, 23, 0)
		with change_settings(
			"Outreach Settings", {"quiet_hours_start": "22:00:00", "quiet_hours_end": "08:00:00"}
		):
			sends.run_send(send, now=late, commit=False)
			(row,) = logs(message_send=send)
			self.assertEqual(row.status, "Deferred")
			self.assertEqual(row.scheduled_for, datetime(2030, 5, 7, 8, 0))
			self.assertEqual(emails_for([row.name]), [])
			messages.deliver_due(datetime(2030, 5, 7, 7, 59), commit=False)
			self.assertEqual(logs(message_send=send)[0].status, "Deferred")
			messages.deliver_due(datetime(2030, 5, 7, 8, 0), commit=False)
		(row,) = logs(message_send=send)
		self.assertEqual((row.member, row.status), (member, "Sent"))
		self.assertEqual(len(emails_for([row.name])), 1)

	def test_frequency_cap_limits_marketing_not_service(self):
		member = tagged_member(self.tag, marketing_consent=1)
		with change_settings("Outreach Settings", {"frequency_cap_messages": 2, "frequency_cap_days": 7}):
			statuses = []
			for i in range(3):
				send = make_send(make_template(f"_LP Promo {i}"), self.tag)
				sends.run_send(send, now=NOON + timedelta(hours=i), commit=False)
				statuses.append(logs(message_send=send)[0].status)
			self.assertEqual(statuses, ["Sent", "Sent", "Capped"])
			service = make_send(make_template("_LP Service", purpose="Tier up", marketing=False), self.tag)
			sends.run_send(service, now=NOON + timedelta(hours=4), commit=False)
			self.assertEqual(logs(message_send=service)[0].status, "Sent")
			later = make_send(make_template("_LP Promo Later"), self.tag)
			sends.run_send(later, now=NOON + timedelta(days=8), commit=False)
			self.assertEqual(logs(message_send=later)[0].status, "Sent")
		sent_marketing = frappe.db.count(
			"Message Log", {"member": member, "is_marketing": 1, "status": "Sent"}
		)
		self.assertEqual(sent_marketing, 3)

	def test_consent_withdrawn_before_delivery_stops_the_message(self):
		member = tagged_member(self.tag, marketing_consent=1)
		template = make_template("_LP Withdrawn")
		messages.queue(template, messages.single(member, "withdrawn"), now=NOON)
		frappe.db.set_value("Loyalty Member", member, "marketing_consent", 0)
		messages.deliver_due(NOON, commit=False)
		(row,) = logs(template=template)
		self.assertEqual(row.status, "Skipped")
		self.assertEqual(emails_for([row.name]), [])


class QuietReceiver(BaseHTTPRequestHandler):
	"""A webhook receiver for the tests: subclasses handle do_POST; nothing is logged."""

	def body(self) -> bytes:
		return self.rfile.read(int(self.headers["Content-Length"]))

	def ok(self) -> None:
		self.send_response(200)
		self.end_headers()

	def log_message(self, *args):
		pass


def serve(receiver: type[QuietReceiver]) -> tuple[HTTPServer, str]:
	"""The receiver listening on a free local port in a thread of its own; (server, its URL)."""
	server = HTTPServer(("127.0.0.1", 0), receiver)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	return server, f"http://127.0.0.1:{server.server_port}/hook"


def webhook_to(url: str):
	"""Outreach Settings without limits, delivering webhook messages to `url`."""
	return change_settings("Outreach Settings", {**NO_LIMITS, "webhook_url": url, "webhook_secret": "s"})


class Receiver(QuietReceiver):
	received: list = []

	def do_POST(self):
		Receiver.received.append((self.headers["X-Loyalty-Signature"], self.body()))
		self.ok()


class TestChannelsAndTriggers(OutreachTestCase):
	def test_webhook_channel_posts_a_signed_message(self):
		server, url = serve(Receiver)
		Receiver.received = []
		try:
			member = tagged_member(self.tag, member_name="微信会员")
			template = make_template(
				"_LP WeChat",
				purpose="Tier up",
				marketing=False,
				channel="Webhook",
				external_template_id="TPL-42",
			)
			with change_settings("Outreach Settings", {"webhook_url": url, "webhook_secret": "s3cret"}):
				messages.queue(template, messages.single(member, "webhook"), now=NOON)
				messages.deliver_due(NOON, commit=False)
		finally:
			server.shutdown()
		(row,) = logs(template=template)
		self.assertEqual(row.status, "Sent", row.error)
		((signature, body),) = Receiver.received
		expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
		self.assertEqual(signature, expected)
		payload = json.loads(body)
		self.assertEqual((payload["member"], payload["external_template_id"]), (member, "TPL-42"))
		self.assertIn("您好 微信会员", payload["body"])

	def test_a_failed_message_is_retried_with_backoff_then_stays_failed_visibly(self):
		member = tagged_member(self.tag)
		template = make_template("_LP WeChat Off", marketing=False, channel="Webhook")
		messages.queue(template, messages.single(member, "no-url"), now=NOON)
		moment = NOON
		for attempt in range(1, messages.MAX_ATTEMPTS):
			messages.deliver_due(moment, commit=False)
			(row,) = logs(template=template)
			self.assertEqual((row.status, row.attempts), ("Pending", attempt))
			self.assertIn(f"Attempt {attempt} of {messages.MAX_ATTEMPTS} failed", row.error)
			self.assertEqual(row.scheduled_for, moment + messages.FIRST_RETRY * 2 ** (attempt - 1))
			self.assertEqual(sum(messages.deliver_due(moment, commit=False).values()), 0)  # not due yet
			moment = row.scheduled_for
		messages.deliver_due(moment, commit=False)
		(row,) = logs(template=template)
		self.assertEqual((row.status, row.attempts), ("Failed", messages.MAX_ATTEMPTS))
		self.assertIn("webhook URL", row.error)
		self.assertEqual(sum(messages.deliver_due(moment + timedelta(days=30), commit=False).values()), 0)

	def test_birthday_and_expiring_messages_once_per_occasion(self):
		today = getdate("2030-05-06")
		birthday = tagged_member(self.tag, birthday="1990-05-06", marketing_consent=1)
		expiring = tagged_member(self.tag)
		frappe.db.set_value(
			"Loyalty Member", expiring, {"points_expiring_soon": 40, "next_points_expiry": add_days(today, 7)}
		)
		frappe.db.set_value("Message Template", "Points Expiring", "automatic", 1)
		with change_settings("Outreach Settings", {"expiry_notice_days": 7}):
			triggers.queue_daily(today)
			triggers.queue_daily(today)
		self.assertEqual(len(logs(template="Birthday", member=birthday)), 1)
		self.assertEqual(len(logs(template="Points Expiring", member=expiring)), 1)
		self.assertEqual(logs(template="Birthday", member=expiring), [])

	def test_an_expiring_message_missed_on_its_day_is_sent_by_the_next_run(self):
		today = getdate("2030-05-06")
		expiring = tagged_member(self.tag)
		frappe.db.set_value(
			"Loyalty Member", expiring, {"points_expiring_soon": 40, "next_points_expiry": add_days(today, 5)}
		)
		frappe.db.set_value("Message Template", "Points Expiring", "automatic", 1)
		with change_settings("Outreach Settings", {"expiry_notice_days": 7}):
			triggers.queue_daily(today)  # the runs of the two days before were missed
			triggers.queue_daily(add_days(today, 1))
		self.assertEqual(len(logs(template="Points Expiring", member=expiring)), 1)

	def test_tier_up_message_about_the_new_tier(self):
		member = tagged_member(self.tag, message_language="en")
		tier = ensure_tier("_LP Reach Gold", rank=90, entry=100_000)
		log_tier_change(member, "Upgrade", None, tier, getdate(), 0)
		messages.deliver_due(now_datetime(), commit=False)
		(row,) = logs(template="Tier Up", member=member)
		self.assertEqual((row.status, row.subject), ("Sent", f"You are now {tier}"))


class SlowReceiver(QuietReceiver):
	"""A webhook receiver that holds each request until the test lets it answer."""

	arrived = threading.Event()
	answer = threading.Event()

	def do_POST(self):
		self.body()
		SlowReceiver.arrived.set()
		SlowReceiver.answer.wait(timeout=60)
		self.ok()


class TestDeliveryHoldsNoLock(FrappeTestCase):
	def test_no_row_lock_is_held_while_the_channel_is_called(self):
		"""A worker delivers a webhook message to a slow receiver: meanwhile another connection can lock
		the Message Log row at once (it is Sending), and the message ends Sent."""
		server, url = serve(SlowReceiver)
		SlowReceiver.arrived.clear()
		SlowReceiver.answer.clear()
		fixtures = Fixtures()
		self.addCleanup(fixtures.remove)
		with committed(webhook_to(url)):
			tag = make_tag()
			member = fixtures.member(tagged_member(tag))
			template = fixtures.add(
				"Message Template", make_template("_LP Slow Hook", marketing=False, channel="Webhook")
			)
			send = fixtures.add("Message Send", make_send(template, tag))
			messages.queue(template, messages.single(member, "slow"), message_send=send, now=NOON)
			(log,) = logs(template=template)
			worker = threading.Thread(target=deliver_in_own_session, args=(frappe.local.site, send))
			frappe.db.commit()  # nosemgrep: the worker's session must see the queued message
			worker.start()
			try:
				self.assertTrue(SlowReceiver.arrived.wait(timeout=60))
				status = frappe.db.sql(
					"select status from `tabMessage Log` where name = %s for update nowait", log.name
				)[0][0]
				frappe.db.rollback()
			finally:
				SlowReceiver.answer.set()
				worker.join(timeout=60)
				server.shutdown()
		self.assertEqual(status, "Sending")
		(row,) = logs(template=template)
		self.assertEqual((row.status, row.attempts), ("Sent", 1))


def deliver_in_own_session(site: str, send: str) -> None:
	frappe.init(site=site)
	frappe.connect()
	try:
		messages.deliver_due(NOON, message_send=send, commit=True)
	finally:
		frappe.destroy()
