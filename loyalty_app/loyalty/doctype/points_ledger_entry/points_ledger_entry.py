import frappe
from frappe import _
from frappe.model.document import Document


class PointsLedgerEntry(Document):
	def before_insert(self):
		"""The ledger service inserts rows directly; anything that comes through insert() is refused."""
		frappe.throw(
			_(
				"Points ledger entries are posted by the system. Use a Points Adjustment to correct a balance."
			),
			frappe.PermissionError,
		)

	def validate(self):
		if not self.is_new():
			frappe.throw(_("Points ledger entries cannot be changed; post a correcting entry instead"))

	def on_trash(self):
		frappe.throw(_("Points ledger entries cannot be deleted"), frappe.PermissionError)


def on_doctype_update():
	frappe.db.add_index("Points Ledger Entry", ["member", "remaining_points"])
	frappe.db.add_index("Points Ledger Entry", ["member", "posting_datetime"])
	frappe.db.add_index("Points Ledger Entry", ["voucher_type", "voucher_no"])
	frappe.db.add_index("Points Ledger Entry", ["cause_type", "cause_name"])
	frappe.db.add_index("Points Ledger Entry", ["expiry_date", "remaining_points"])
	frappe.db.add_index("Points Ledger Entry", ["reverses_entry"])
	frappe.db.add_index("Points Ledger Entry", ["entry_type", "posting_datetime"])
	frappe.db.add_index("Points Ledger Entry", ["liability_posting", "posting_datetime"])
