"""Who a member is and who may see it: status changes, mobile verification, masked mobile and email, and
the guard on the fields that identify a member, traceable to a user and time."""

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from loyalty_app.engine.privacy import mask_email, mask_mobile
from loyalty_app.loyalty.services.members import mobile_in

MEMBER = "Loyalty Member"
FULL_MOBILE_ROLES = {"Loyalty Manager", "System Manager"}
# What a clerk gives when enrolling someone (the number and email they then no longer read, the consent
# the customer gives at the till, the existing Customer enrolled); on an existing member every field
# above permlevel 0 stays as the app or a manager set it.
SET_AT_ENROLMENT = ("mobile_no", "email", "customer", "marketing_consent", "data_processing_consent")


def set_member_status(member: str, status: str, reason: str) -> None:
	"""Set status and its reason without a full save, and record it in the member's history (Version)."""
	before = frappe.db.get_value(MEMBER, member, ["status", "status_reason"], as_dict=True)
	if before.status == status and before.status_reason == reason:
		return
	frappe.db.set_value(MEMBER, member, {"status": status, "status_reason": reason})
	changed = [[f, before[f], value] for f, value in (("status", status), ("status_reason", reason))]
	_record_version(member, changed)


def _record_version(member: str, changed: list) -> None:
	frappe.get_doc(
		{
			"doctype": "Version",
			"ref_doctype": MEMBER,
			"docname": member,
			"data": json.dumps({"changed": changed, "added": [], "removed": [], "row_changed": []}),
		}
	).insert(ignore_permissions=True)


def on_validate(member, method=None) -> None:
	"""Loyalty Member validate: masked copies of mobile and email; a changed mobile must be verified again;
	when and by whom the mobile was verified is stamped here, never taken from the saved document."""
	member.mobile_masked = mask_mobile(member.mobile_no)
	member.email_masked = mask_email(member.email)
	before = member.get_doc_before_save()
	if before and member.has_value_changed("mobile_no"):
		member.mobile_verified = 0
	if before and not member.has_value_changed("mobile_verified"):
		member.mobile_verified_at, member.mobile_verified_by = (
			before.mobile_verified_at,
			before.mobile_verified_by,
		)
	elif member.mobile_verified:
		member.mobile_verified_at, member.mobile_verified_by = now_datetime(), frappe.session.user
	else:
		member.mobile_verified_at, member.mobile_verified_by = None, None


def refuse_unpermitted_changes(member, writable_levels: list[int], high_permlevel_fields: list) -> list:
	"""Every save by a user (desk, /api/resource, frappe.client) passes here before validation: a field
	above permlevel 0 that the user's roles may not write must keep its stored value (its default for a
	new member), else the save is refused. A value left out (a form that never received a field the user
	cannot read) is restored. Returns the fields Frappe should restore."""
	stored = None if member.is_new() else frappe.db.get_value(MEMBER, member.name, "*", as_dict=True)
	refused, to_restore = [], []
	for df in high_permlevel_fields:
		if df.permlevel in writable_levels or df.fieldtype in frappe.model.display_fieldtypes:
			continue
		if stored is None and df.fieldname in SET_AT_ENROLMENT:
			continue
		value = member.get(df.fieldname)
		before = stored.get(df.fieldname) if stored else member.meta.get_field(df.fieldname).default
		if stored is not None and value is None:
			to_restore.append(df)
		elif _as_text(value) != _as_text(before):
			refused.append(_(df.label))
		else:
			to_restore.append(df)
	if refused:
		frappe.throw(
			_("You may not set {0} of a loyalty member").format(", ".join(refused)),
			frappe.PermissionError,
			title=_("Not permitted"),
		)
	return to_restore


def _as_text(value) -> str:
	return "" if value in (None, "", 0, "0") else str(value)


def hide_unreadable_fields(member, method=None) -> None:
	"""Loyalty Member on_change: after a user's own save, drop what their roles may not read, so the
	document the REST API or frappe.client answers with shows no more than a GET would (Frappe v15 returns
	the whole document on insert and update). Services saving with ignore_permissions keep theirs."""
	if not member.flags.ignore_permissions:
		member.apply_fieldlevel_read_permissions()


def mark_mobile_verified(member: str, channel: str) -> None:
	"""The integrator checked an SMS code, or the clerk saw the customer: the mobile number is verified."""
	if frappe.db.get_value(MEMBER, member, "mobile_verified"):
		return
	doc = frappe.get_doc(MEMBER, member)
	doc.mobile_verified = 1
	doc.add_comment("Info", _("Mobile number verified ({0})").format(_(channel)))
	doc.flags.ignore_permissions = True
	doc.save()


def sees_full_mobile() -> bool:
	return bool(FULL_MOBILE_ROLES & set(frappe.get_roles()))


def visible_mobile(mobile: str | None, caller_gave_it: bool = False) -> str | None:
	"""The number as this user may see it: in full for managers or when the caller typed it, else masked."""
	return mobile if caller_gave_it or sees_full_mobile() else mask_mobile(mobile)


@frappe.whitelist()
@frappe.validate_and_sanitize_search_inputs
def search_members(doctype: str, txt: str, searchfield: str, start: int, page_len: int, filters) -> list:
	"""Link-field search for members: by code or name, or by the full mobile number typed (whoever knows
	the number may find its member); results show the masked number only."""
	txt = (txt or "").strip()
	or_filters = {"name": ("like", f"%{txt}%"), "member_name": ("like", f"%{txt}%")}
	if mobile := mobile_in(txt):
		or_filters["mobile_no"] = mobile
	return frappe.get_list(
		MEMBER,
		filters=filters,
		or_filters=or_filters,
		fields=["name", "member_name", "mobile_masked", "tier"],
		order_by="member_name",
		limit_start=start,
		limit_page_length=page_len,
		as_list=True,
	)
