"""Members' rights over their data: export everything held about a member (their own data only), and
erasure (see erasure.py) while every ledger number, invoice amount and GL entry stays as it was."""

import json
import re

import frappe
from frappe import _
from frappe.utils import now_datetime

from loyalty_app.trust.services import erasure
from loyalty_app.trust.services.links import MEMBER, member_link_fields
from loyalty_app.trust.services.members import set_member_status

PRIVACY_REQUEST = "Privacy Request"
MANAGERS = {"Loyalty Manager", "System Manager"}
# Member IDs as Loyalty Member's naming rule makes them (LM-.#####).
OTHER_MEMBER_ID = re.compile(r"\bLM-\d+\b")
# Not copied into an export: they describe other members or the system, not this member.
EXPORT_SKIP = {("Loyalty Member", "referred_by"), ("Member Merge", "surviving_member")}


def check_access(member: str) -> None:
	"""Loyalty Managers, or the member themself (their portal user)."""
	if MANAGERS & set(frappe.get_roles()):
		return
	if frappe.session.user != "Guest" and frappe.db.get_value(MEMBER, member, "user") == frappe.session.user:
		return
	frappe.throw(_("You can only download your own data"), frappe.PermissionError)


def member_data(member: str) -> dict:
	"""Everything held about the member: profile, customer, and every record linked to them."""
	profile = frappe.get_doc(MEMBER, member).as_dict(no_default_fields=False)
	customer = profile.customer and frappe.db.get_value(
		"Customer", profile.customer, ["name", "customer_name", "mobile_no", "email_id"], as_dict=True
	)
	records: dict[str, list] = {}
	for doctype, fieldname in member_link_fields():
		if (doctype, fieldname) in EXPORT_SKIP:
			continue
		rows = frappe.get_all(doctype, filters={fieldname: member}, fields=["*"], order_by="creation asc")
		if rows:
			records.setdefault(doctype, []).extend(rows)
	for row in records.get("Points Ledger Entry", []):
		row["allocations"] = frappe.get_all(
			"Points Ledger Allocation",
			filters={"parent": row["name"]},
			fields=["lot", "points"],
			order_by="idx",
		)
	return {
		"exported_at": now_datetime(),
		"member": profile,
		"customer": customer,
		"records": records,
	}


def export_member_data(member: str) -> str:
	"""The member's data as JSON text; the export itself is recorded (who, when)."""
	check_access(member)
	text = export_text(member)
	_record(member, "Export", None)
	return text


def export_text(member: str) -> str:
	"""The export as JSON, with any other member's ID (a referral ring or shared device in risk evidence,
	a status reason) replaced: a member's export holds their own data only."""
	text = json.dumps(member_data(member), default=str, indent=1, ensure_ascii=False)
	return OTHER_MEMBER_ID.sub(lambda m: m.group(0) if m.group(0) == member else _("another member"), text)


def erase_member(member: str, reason: str | None = None) -> None:
	"""Erase the member's personal data for good (Loyalty Manager; the places: erasure.py); points, ledger and
	accounting stay untouched. The erasure runs with the app's rights (renaming the Customer, deleting
	its Contacts need more than a Loyalty Manager holds) and records who asked."""
	if not MANAGERS & set(frappe.get_roles()):
		frappe.throw(_("Only a Loyalty Manager can erase a member's data"), frappe.PermissionError)
	row = frappe.db.get_value(MEMBER, member, ["name", "erased"], as_dict=True)
	if not row:
		frappe.throw(_("Loyalty Member {0} does not exist").format(member), frappe.DoesNotExistError)
	if row.erased:
		return
	erasure.erase(member)
	set_member_status(member, "Closed", _("Personal data erased"))
	_record(member, "Erasure", reason)


def _record(member: str, request_type: str, remarks: str | None) -> None:
	frappe.get_doc(
		{
			"doctype": PRIVACY_REQUEST,
			"member": member,
			"request_type": request_type,
			"processed_by": frappe.session.user,
			"processed_at": now_datetime(),
			"remarks": remarks,
		}
	).insert(ignore_permissions=True)


# Frappe's Personal Data Download / Deletion Requests


def attach_export_to_download_request(request, method=None) -> None:
	"""Personal Data Download Request after_insert: add the loyalty export of the user's member, if any."""
	member = frappe.db.get_value(MEMBER, {"user": request.user})
	if not member:
		return
	frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"Loyalty-Data-{member}-{request.name}.json",
			"attached_to_doctype": request.doctype,
			"attached_to_name": request.name,
			"content": export_text(member),
			"is_private": 1,
		}
	).save(ignore_permissions=True)
	_record(member, "Export", _("Personal Data Download Request {0}").format(request.name))


def erase_on_deletion_request(request, method=None) -> None:
	"""Personal Data Deletion Request on_update: once its Loyalty Member step ran, erase the member."""
	done = any(
		step.document_type == MEMBER and step.status == "Deleted"
		for step in request.get("deletion_steps") or []
	)
	if not done:
		return
	for member in frappe.get_all(MEMBER, filters={"user": request.email, "erased": 0}, pluck="name"):
		erase_member(member, _("Personal Data Deletion Request {0}").format(request.name))
