import frappe
from frappe.model.document import Document

from loyalty_app.loyalty.services import member_import

# Larger batches are imported by a background job, so the desk does not wait on them.
RUN_NOW_ROWS = 5000


class LoyaltyImportBatch(Document):
	"""Members, balances and figures brought in from another system; its rows are Loyalty Import Rows."""

	@frappe.whitelist()
	def check_rows(self):
		self.check_permission("write")
		return member_import.validate_batch(self.name)

	@frappe.whitelist()
	def import_rows(self):
		self.check_permission("write")
		if frappe.db.count("Loyalty Import Row", {"batch": self.name}) <= RUN_NOW_ROWS:
			return member_import.import_batch(self.name)
		frappe.enqueue(member_import.import_batch, queue="long", timeout=7200, batch=self.name)

	@frappe.whitelist()
	def roll_back(self):
		self.check_permission("write")
		return member_import.rollback_batch(self.name)
