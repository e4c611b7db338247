"""Members' rights over their data: export everything held about a member, and erasure that anonymises
their personal fields (also on the linked Customer, its contacts and addresses, and the contact details
copied onto invoices) while every ledger number, invoice amount and GL entry stays as it was."""

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from loyalty_app.channels.services.identities import erase_identities
from loyalty_app.trust.services.links import MEMBER, member_link_fields
from loyalty_app.trust.services.members import set_member_status

PRIVACY_REQUEST = "Privacy Request"
MANAGERS = {"Loyalty Manager", "System Manager"}
ERASED_NAME = "Erased member"
# Personal fields of the member cleared on erasure (mobile_no gets a unique placeholder: it is unique).
MEMBER_PERSONAL_FIELDS = ("email", "birthday", "gender", "user", "mobile_masked")
INVOICE_CONTACT_FIELDS = (
	"contact_mobile",
	"contact_email",
	"contact_display",
	"address_display",
	"contact_person",
	"customer_address",
)
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
	text = json.dumps(member_data(member), default=str, indent=1, ensure_ascii=False)
	_record(member, "Export", None)
	return text


def erase_member(member: str, reason: str | None = None) -> None:
	"""Anonymise the member's personal data for good; points, ledger and accounting stay untouched."""
	frappe.only_for(list(MANAGERS))
	row = frappe.db.get_value(MEMBER, member, ["name", "customer", "erased"], as_dict=True)
	if not row:
		frappe.throw(_("Loyalty Member {0} does not exist").format(member), frappe.DoesNotExistError)
	if row.erased:
		return
	label = f"{ERASED_NAME} {member}"
	frappe.db.set_value(
		MEMBER,
		member,
		{
			**dict.fromkeys(MEMBER_PERSONAL_FIELDS),
			"member_name": label,
			"mobile_no": f"erased:{member}",
			"marketing_consent": 0,
			"erased": 1,
			"erased_on": now_datetime(),
		},
	)
	frappe.db.delete("Loyalty Member Tag", {"parent": member, "parenttype": MEMBER})
	frappe.db.delete("Risk Signal", {"member": member})
	erase_identities(member)
	set_member_status(member, "Closed", _("Personal data erased"))
	if row.customer:
		_anonymise_customer(row.customer, label)
	_record(member, "Erasure", reason)


def _anonymise_customer(customer: str, label: str) -> None:
	"""Clear the Customer's personal fields; an ID made of the person's name is renamed (GL keeps its
	amounts; its party column follows the rename as for any renamed Customer)."""
	frappe.db.set_value(
		"Customer",
		customer,
		{
			"customer_name": label,
			"mobile_no": None,
			"email_id": None,
			"customer_primary_contact": None,
			"customer_primary_address": None,
			"primary_address": None,
		},
	)
	for link_doctype in ("Contact", "Address"):
		names = frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Customer", "link_name": customer, "parenttype": link_doctype},
			pluck="parent",
		)
		for name in names:
			_anonymise_party_record(link_doctype, name, label)
	for doctype in ("Sales Invoice", "POS Invoice"):
		frappe.db.sql(
			f"""update `tab{doctype}` set customer_name = %s, {", ".join(f"{f} = null" for f in INVOICE_CONTACT_FIELDS)}
			where customer = %s""",
			(label, customer),
		)
	if customer != label and not frappe.db.exists("Customer", label):
		frappe.rename_doc("Customer", customer, label, force=True, show_alert=False)


def _anonymise_party_record(doctype: str, name: str, label: str) -> None:
	if doctype == "Contact":
		frappe.db.set_value(
			"Contact",
			name,
			{
				"first_name": label,
				"last_name": None,
				"middle_name": None,
				"email_id": None,
				"mobile_no": None,
				"phone": None,
			},
		)
		frappe.db.delete("Contact Email", {"parent": name})
		frappe.db.delete("Contact Phone", {"parent": name})
	else:
		frappe.db.set_value(
			"Address",
			name,
			{
				"address_title": label,
				"address_line1": "-",
				"address_line2": None,
				"city": "-",
				"county": None,
				"state": None,
				"pincode": None,
				"phone": None,
				"fax": None,
				"email_id": None,
			},
		)


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
			"content": json.dumps(member_data(member), default=str, indent=1, ensure_ascii=False),
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
