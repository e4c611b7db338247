"""A worker killed (SIGKILL) in the middle of a long job, then the job run again: nothing lost, nothing
done twice.

The job runs in a subprocess of its own (frappe.init + connect on the test's site, as a worker runs it);
the test kills it once the job has committed its first chunk, then runs the job again to the end.
Covered: coupon code generation (resumes), a segment send (message delivery). Fixture data is committed
and removed explicitly, since the subprocess cannot see the test's transaction.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import frappe
from frappe.tests.utils import FrappeTestCase

from loyalty_app.outreach.services import messages, sends
from loyalty_app.rewards.services.coupons import generate_open_codes
from loyalty_app.tests.race import Fixtures, committed
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign
from loyalty_app.tests.test_outreach import (
	NOON,
	QuietReceiver,
	make_send,
	make_tag,
	make_template,
	serve,
	tagged_member,
	webhook_to,
)

WORKER = """
import json, sys
import frappe
frappe.init(site=sys.argv[1], sites_path=sys.argv[2])
frappe.connect()
frappe.set_user("Administrator")
frappe.get_attr(sys.argv[3])(**json.loads(sys.argv[4]))
frappe.db.commit()
"""


def kill_when(method: str, kwargs: dict, started, timeout: float = 120) -> None:
	"""Run the job in a worker process and SIGKILL it as soon as `started()` sees its first commit."""
	frappe.db.commit()  # nosemgrep: the worker must see the fixture data
	worker = subprocess.Popen(
		[
			sys.executable,
			"-c",
			WORKER,
			frappe.local.site,
			frappe.local.sites_path,
			method,
			json.dumps(kwargs),
		],
		cwd=frappe.local.sites_path,
	)
	deadline = time.monotonic() + timeout
	try:
		while time.monotonic() < deadline and worker.poll() is None:
			frappe.db.rollback()  # a fresh snapshot: what the worker has committed so far
			if started():
				os.kill(worker.pid, signal.SIGKILL)
				break
			time.sleep(0.05)
		worker.wait(timeout=30)
	finally:
		if worker.poll() is None:
			os.kill(worker.pid, signal.SIGKILL)
	assert worker.returncode == -signal.SIGKILL, f"the job ended before it was killed ({worker.returncode})"
	frappe.db.rollback()


class TestCouponGenerationSurvivesAKilledWorker(FrappeTestCase):
	def test_generation_resumes_after_the_worker_is_killed(self):
		fixtures = Fixtures()
		self.addCleanup(fixtures.remove)
		campaign = make_campaign(f"_LP Killed Generation {frappe.generate_hash(length=6)}", code_length=10)
		self.addCleanup(frappe.db.delete, "Coupon Code", {"coupon_campaign": campaign})
		fixtures.add("Coupon Campaign", campaign)
		quantity = 30_000
		frappe.db.set_value("Coupon Campaign", campaign, "open_codes_requested", quantity)

		def codes() -> int:
			return frappe.db.count("Coupon Code", {"coupon_campaign": campaign})

		kill_when(
			"loyalty_app.rewards.services.coupons.generate_open_codes",
			{"campaign_name": campaign},
			started=lambda: codes() > 0,
		)
		made_before_the_kill = codes()
		self.assertTrue(0 < made_before_the_kill < quantity, made_before_the_kill)
		self.assertEqual(frappe.db.get_value("Coupon Campaign", campaign, "generation_status"), "Running")

		generate_open_codes(campaign)  # the job run again
		all_codes = frappe.get_all("Coupon Code", filters={"coupon_campaign": campaign}, pluck="coupon_code")
		self.assertEqual(len(all_codes), quantity)
		self.assertEqual(len(set(all_codes)), quantity)
		self.assertEqual(frappe.db.get_value("Coupon Campaign", campaign, "generation_status"), "Completed")


class CountingReceiver(QuietReceiver):
	"""A slow webhook receiver that counts the messages it was handed, by Message Log."""

	received: Counter = Counter()

	def do_POST(self):
		message_log = json.loads(self.body())["message_log"]
		time.sleep(0.1)
		CountingReceiver.received[message_log] += 1
		self.ok()


class TestSegmentSendSurvivesAKilledWorker(FrappeTestCase):
	def test_a_killed_send_delivers_the_rest_once_when_run_again(self):
		server, url = serve(CountingReceiver)
		self.addCleanup(server.shutdown)
		CountingReceiver.received = Counter()
		fixtures = Fixtures()
		self.addCleanup(fixtures.remove)
		with committed(webhook_to(url)):
			tag = make_tag()
			members = [fixtures.member(tagged_member(tag)) for _ in range(12)]
			template = fixtures.add(
				"Message Template", make_template("_LP Killed Send", marketing=False, channel="Webhook")
			)
			send = fixtures.add("Message Send", make_send(template, tag))

			def sent() -> int:
				return frappe.db.count("Message Log", {"message_send": send, "status": "Sent"})

			kill_when(
				"loyalty_app.outreach.services.sends.run_send",
				{"send_name": send, "now": str(NOON)},
				started=lambda: sent() >= 3,
			)
			self.assertLess(sent(), len(members))
			self.assertEqual(frappe.db.get_value("Message Send", send, "status"), "Running")
			# run again once the killed worker's lease on the message it was sending has ended
			sends.run_send(send, now=NOON + messages.LEASE)
		logs = frappe.get_all("Message Log", filters={"message_send": send}, fields=["name", "status"])
		self.assertEqual(len(logs), len(members))
		self.assertEqual({log.status for log in logs}, {"Sent"})
		self.assertEqual(set(CountingReceiver.received), {log.name for log in logs})  # nothing lost
		# at most the one message in flight when the worker died went out twice
		self.assertLessEqual(sum(CountingReceiver.received.values()), len(members) + 1)
		self.assertEqual(frappe.db.get_value("Message Send", send, "status"), "Completed")
