from frappe.model.document import Document


class PointsLedgerAllocation(Document):
	pass
