"""Erasure of a member's personal data, and the registry of every place that data can reach.

The places, and what erasure does to each:
- Loyalty Member: personal fields cleared (MEMBER_PERSONAL_FIELDS), name pseudonymised ("Erased member
  LM-…"), mobile replaced by erased:<ID>; its tags and hashed Risk Signals deleted.
- Message Log: recipient, subject, message and error cleared; the row (what was sent when) stays.
- File: files attached to the member or their Customer deleted.
- Contact, Address and their Dynamic Links: deleted for good (no Deleted Document kept).
- Customer: renamed to the pseudonym; name, mobile, email, primary contact and address cleared.
- Every document with a `customer` Link (Sales / POS Invoice, Sales Order, Delivery Note…): the copies
  of the name pseudonymised (COPIED_NAME_FIELDS), contact details cleared (COPIED_CONTACT_FIELDS).
- GL Entry `against` (the party's name as text): pseudonymised.
- History, messages and logs (TEXT_RECORDS and global search): rows mentioning the mobile or email
  deleted, and rows mentioning the name when they belong to the member's own documents.
Points, ledger rows, amounts and GL debits and credits are never touched, so the ledger and the books stay
balanced. loyalty_app.tests.test_member_data (TestErasure) seeds personal data into these places through
normal use, erases, then scans every text column of every table of the site for the name, mobile and
email: a place missing here fails it.
"""

import frappe
import phonenumbers
from frappe.model.rename_doc import rename_doc
from frappe.utils import now_datetime

from loyalty_app.channels.services.identities import erase_identities

MEMBER = "Loyalty Member"
ERASED_NAME = "Erased member"
# Personal fields of the member cleared on erasure (mobile_no gets a unique placeholder: it is unique).
MEMBER_PERSONAL_FIELDS = ("email", "email_masked", "birthday", "gender", "user", "mobile_masked", "_comments")
# What a Loyalty Import Row keeps of the person besides the name (replaced by the pseudonym).
IMPORT_ROW_PERSONAL_FIELDS = ("mobile_no", "email", "birthday", "mobile_e164", "mobile_masked", "birthday_on")
# Contact details ERPNext copies from the Customer, its Contact and Address onto selling and accounting
# documents; cleared wherever a DocType that links to the Customer has them.
COPIED_CONTACT_FIELDS = (
	"contact_mobile",
	"contact_email",
	"contact_phone",
	"contact_display",
	"contact_person",
	"address_display",
	"customer_address",
	"shipping_address_name",
	"shipping_address",
	"dispatch_address_name",
	"dispatch_address",
)
# Copies of the customer's name on those documents, replaced by the pseudonym.
COPIED_NAME_FIELDS = ("customer_name", "title")
# Tables that hold the person only as text (history, messages, logs). Rows mentioning the member's mobile
# or email are deleted wherever they are; rows mentioning their name only when they belong to the
# member's own documents (the (doctype, name) columns given), since another person may share the name.
TEXT_RECORDS = {
	"Version": ("ref_doctype", "docname"),
	"Comment": ("reference_doctype", "reference_name"),
	"Communication": ("reference_doctype", "reference_name"),
	"Activity Log": ("reference_doctype", "reference_name"),
	"Notification Log": ("document_type", "document_name"),
	"Error Log": ("reference_doctype", "reference_name"),
	"Deleted Document": ("deleted_doctype", "deleted_name"),
	"Email Queue": ("reference_doctype", "reference_name"),
	"Email Queue Recipient": None,
	"Webhook Request Log": None,
	"Integration Request": ("reference_doctype", "reference_docname"),
	"Access Log": ("export_from", "reference_document"),
	"Route History": None,
}
GLOBAL_SEARCH = ("__global_search", ("doctype", "name"))


def erase(member: str) -> None:
	"""Erase everything personal about the member (the caller checked the right to, see privacy)."""
	row = frappe.db.get_value(
		MEMBER, member, ["name", "customer", "member_name", "mobile_no", "email", "user"], as_dict=True
	)
	label = f"{ERASED_NAME} {member}"
	identifiers = [row.mobile_no, _national_number(row.mobile_no), row.email, row.user]
	names = [row.member_name, row.customer]
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
		update_modified=False,
	)
	frappe.db.delete("Loyalty Member Tag", {"parent": member, "parenttype": MEMBER})
	frappe.db.delete("Risk Signal", {"member": member})
	erase_identities(member)
	# the import row a member came in by keeps the raw line as the retailer's file had it
	frappe.db.sql(
		f"""update `tabLoyalty Import Row` set member_name = %(label)s,
		{", ".join(f"{field} = null" for field in IMPORT_ROW_PERSONAL_FIELDS)} where member = %(member)s""",
		{"label": label, "member": member},
	)
	frappe.db.sql(
		"""update `tabMessage Log` set recipient = null, subject = null, message = null, error = null
		where member = %s""",
		member,
	)
	_delete_files(MEMBER, member)
	own_documents = [
		(MEMBER, member),
		*(("Message Log", log) for log in frappe.get_all("Message Log", {"member": member}, pluck="name")),
	]
	if row.customer:
		identifiers += _delete_contacts_and_addresses(row.customer)
		customer = _pseudonymise_customer(row.customer, label)
		own_documents += [("Customer", customer), *_documents_of_customer(customer)]
	_delete_text_records(identifiers, names, own_documents)


def _national_number(mobile: str | None) -> str | None:
	"""+8613912345678 -> 13912345678, as forms and invoices often carry it."""
	try:
		return str(phonenumbers.parse(mobile).national_number) if mobile else None
	except phonenumbers.NumberParseException:
		return None


def _pseudonymise_customer(customer: str, label: str) -> str:
	"""Clear what documents copied from the Customer and its contacts, and rename the Customer (an ID
	made of the person's name) to the pseudonym; returns the Customer's name now."""
	for doctype, fieldname in _documents_linking_to_customer():
		meta = frappe.get_meta(doctype)
		cleared = [f for f in COPIED_CONTACT_FIELDS if meta.has_field(f)]
		renamed = [f for f in COPIED_NAME_FIELDS if meta.has_field(f)]
		if not (cleared or renamed):
			continue
		assignments = [f"`{f}` = null" for f in cleared] + [f"`{f}` = %(label)s" for f in renamed]
		frappe.db.sql(
			f"update `tab{doctype}` set {', '.join(assignments)} where `{fieldname}` = %(customer)s",
			{"label": label, "customer": customer},
		)
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
			"_comments": None,
		},
		update_modified=False,
	)
	_delete_files("Customer", customer)
	if customer == label or frappe.db.exists("Customer", label):
		return customer
	rename_doc("Customer", customer, label, force=True, show_alert=False, ignore_permissions=True)
	frappe.db.sql(
		"update `tabGL Entry` set against = replace(against, %(old)s, %(new)s) where against like %(like)s",
		{"old": customer, "new": label, "like": f"%{_like_escaped(customer)}%"},
	)
	return label


def _delete_contacts_and_addresses(customer: str) -> list[str]:
	"""Delete the Customer's Contacts and Addresses for good; returns their names (made of the person's
	name, also in the "Deleted" comments Frappe leaves)."""
	deleted = []
	for link_doctype in ("Contact", "Address"):
		for name in frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Customer", "link_name": customer, "parenttype": link_doctype},
			pluck="parent",
		):
			frappe.delete_doc(
				link_doctype, name, force=True, ignore_permissions=True, delete_permanently=True
			)
			deleted.append(name)
	return deleted


def _documents_linking_to_customer() -> list[tuple[str, str]]:
	"""(doctype, fieldname) of every table-backed Link to Customer named `customer` (selling and
	accounting documents, their copies of the customer's name and contact details)."""
	singles = set(frappe.get_all("DocType", filters={"issingle": 1}, pluck="name"))
	rows = frappe.get_all(
		"DocField",
		filters={"fieldtype": "Link", "options": "Customer", "fieldname": "customer"},
		pluck="parent",
	)
	return [(doctype, "customer") for doctype in sorted(set(rows) - singles)]


def _delete_files(doctype: str, name: str) -> None:
	for file in frappe.get_all("File", filters={"attached_to_doctype": doctype, "attached_to_name": name}):
		frappe.delete_doc("File", file.name, ignore_permissions=True, delete_permanently=True)


def _documents_of_customer(customer: str) -> list[tuple[str, str]]:
	return [
		(doctype, name)
		for doctype, fieldname in _documents_linking_to_customer()
		for name in frappe.get_all(doctype, filters={fieldname: customer}, pluck="name")
	]


def _delete_text_records(identifiers: list, names: list, own_documents: list[tuple[str, str]]) -> None:
	"""Delete rows of the history, message and log tables that mention the person (see TEXT_RECORDS)."""
	identifiers = [t for t in identifiers if t and len(t) >= 5]
	names = [t for t in names if t and len(t) >= 2]
	for table, reference in [*((f"tab{dt}", ref) for dt, ref in TEXT_RECORDS.items()), GLOBAL_SEARCH]:
		columns = _text_columns(table)
		_delete_rows(table, columns, identifiers)
		if reference:
			for doctype, docnames in _grouped(own_documents).items():
				_delete_rows(table, columns, names, {reference[0]: doctype, reference[1]: docnames})


def _grouped(documents: list[tuple[str, str]]) -> dict[str, list[str]]:
	grouped: dict[str, list[str]] = {}
	for doctype, name in documents:
		grouped.setdefault(doctype, []).append(name)
	return grouped


def _text_columns(table: str) -> list[str]:
	return frappe.db.sql_list(
		"""select column_name from information_schema.columns
		where table_schema = database() and table_name = %s
		and data_type in ('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json')""",
		table,
	)


def _delete_rows(table: str, columns: list[str], traces: list[str], scope: dict | None = None) -> None:
	"""Delete the rows of table (within scope: column = value or in values) where a column holds a trace."""
	if not (columns and traces):
		return
	values = {f"t{i}": f"%{_like_escaped(trace)}%" for i, trace in enumerate(traces)}
	mentions = " or ".join(f"`{column}` like %(t{i})s" for column in columns for i in range(len(traces)))
	conditions = [f"({mentions})"]
	for i, (column, value) in enumerate((scope or {}).items()):
		conditions.append(f"`{column}` in %(s{i})s")
		values[f"s{i}"] = tuple(value) if isinstance(value, list) else (value,)
	frappe.db.sql(f"delete from `{table}` where {' and '.join(conditions)}", values)


def _like_escaped(text: str) -> str:
	return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
