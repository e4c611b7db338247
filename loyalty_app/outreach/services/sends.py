"""Message Sends: a template to a segment, now or at a set time, run as a background job with progress.

The job queues one Message Log row per member (insert-ignore on the send key) and delivers them; a rerun
of the same send queues only members who joined the segment since and sends nothing twice."""

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from loyalty_app.outreach.services import messages
from loyalty_app.outreach.services.segments import segment_condition

MESSAGE_SEND = "Message Send"
DRAFT, SCHEDULED, QUEUED, RUNNING, COMPLETED, FAILED = (
	"Draft",
	"Scheduled",
	"Queued",
	"Running",
	"Completed",
	"Failed",
)


class SendRunningError(frappe.ValidationError):
	pass


def start(send_name: str) -> str:
	"""Schedule the send for its time, or queue it now; returns the new status."""
	send = frappe.get_doc(MESSAGE_SEND, send_name)
	if send.status in (QUEUED, RUNNING):
		frappe.throw(_("Message Send {0} is already {1}").format(send.name, _(send.status)), SendRunningError)
	if not frappe.db.get_value(messages.TEMPLATE, send.template, "enabled"):
		frappe.throw(_("Message Template {0} is disabled").format(send.template))
	if send.scheduled_at and get_datetime(send.scheduled_at) > now_datetime():
		send.db_set("status", SCHEDULED)
		return SCHEDULED
	_enqueue(send.name)
	return QUEUED


def _enqueue(send_name: str) -> None:
	frappe.db.set_value(MESSAGE_SEND, send_name, "status", QUEUED)
	frappe.enqueue(
		"loyalty_app.outreach.services.sends.run_send",
		queue="long",
		send_name=send_name,
		enqueue_after_commit=True,
		job_id=f"message-send:{frappe.local.site}:{send_name}",
		deduplicate=True,
	)


def run_due_sends(now=None) -> int:
	"""Every few minutes: queue the scheduled sends whose time has come."""
	due = frappe.get_all(
		MESSAGE_SEND,
		filters={"status": SCHEDULED, "scheduled_at": ("<=", now or now_datetime())},
		pluck="name",
	)
	for name in due:
		_enqueue(name)
	return len(due)


def run_send(send_name: str, now=None, commit: bool = True) -> dict:
	"""The job: queue the segment, deliver with progress; returns the send's figures."""
	now = get_datetime(now) if now else now_datetime()
	send = frappe.get_doc(MESSAGE_SEND, send_name)
	send.db_set({"status": RUNNING, "started_at": now, "error": None})
	try:
		condition, values = segment_condition(send)
		reference = ("Member Event", send.member_event) if send.member_event else (MESSAGE_SEND, send.name)
		messages.queue(
			send.template,
			messages.Source(
				f"""select m.name as member, concat('send:', %(send)s, ':', m.name) as send_key,
					%(reference_doctype)s as reference_doctype, %(reference_name)s as reference_name
				from `tabLoyalty Member` m where {condition}""",
				{
					**values,
					"send": send.name,
					"reference_doctype": reference[0],
					"reference_name": reference[1],
				},
			),
			message_send=send.name,
			now=now,
		)
		if commit:
			frappe.db.commit()  # nosemgrep: the queued rows survive a failed delivery
		total = figures(send.name)["recipients"] or 1
		messages.deliver_due(
			now,
			message_send=send.name,
			progress=lambda done: frappe.publish_progress(
				done * 100 / total,
				title=_("Sending {0}").format(send.title),
				doctype=MESSAGE_SEND,
				docname=send.name,
			),
			commit=commit,
		)
		send.db_set({"status": COMPLETED, "finished_at": now_datetime()})
	except Exception:
		if commit:
			frappe.db.rollback()
		send.db_set({"status": FAILED, "error": frappe.get_traceback()[-2000:]})
		if commit:
			frappe.db.commit()  # nosemgrep: record the failure
		raise
	return figures(send.name)


def figures(send_name: str) -> dict[str, int]:
	by_status = dict(
		frappe.db.sql(
			"select status, count(*) from `tabMessage Log` where message_send = %s group by status", send_name
		)
	)
	return {
		"recipients": sum(by_status.values()),
		"sent_count": by_status.get(messages.SENT, 0),
		"waiting_count": sum(
			by_status.get(status, 0) for status in (messages.PENDING, messages.DEFERRED, messages.SENDING)
		),
		"capped_count": by_status.get(messages.CAPPED, 0),
		"failed_count": by_status.get(messages.FAILED, 0) + by_status.get(messages.SKIPPED, 0),
	}
