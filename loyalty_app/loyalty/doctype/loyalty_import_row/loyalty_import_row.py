import frappe
from frappe.model.document import Document

from loyalty_app.loyalty.services.member_import import RowContext, checked_values


class LoyaltyImportRow(Document):
	"""One line of a member file from another system (Data Import inserts these); checked as it arrives."""

	def before_insert(self):
		if not self.row_no:
			self.row_no = (
				frappe.db.sql(
					"select coalesce(max(row_no), 0) from `tabLoyalty Import Row` where batch = %s",
					self.batch,
				)[0][0]
				+ 1
			)

	def validate(self):
		if self.is_new() or self.status in ("Valid", "Error"):
			self.update(checked_values(self.as_dict(), RowContext.now()))


def on_doctype_update():
	frappe.db.add_index("Loyalty Import Row", ["batch", "status", "row_no"])
