import frappe
from frappe.model.document import Document


class PointsLiabilityPosting(Document):
	pass


def on_doctype_update():
	frappe.db.add_unique("Points Liability Posting", ["company", "posting_date"])
