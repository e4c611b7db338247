from frappe.model.document import Document


class PointsLiabilityPosting(Document):
	pass
