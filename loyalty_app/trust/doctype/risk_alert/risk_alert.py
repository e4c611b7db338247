from frappe.model.document import Document


class RiskAlert(Document):
	pass
