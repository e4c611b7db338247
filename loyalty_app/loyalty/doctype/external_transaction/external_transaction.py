from frappe.model.document import Document


class ExternalTransaction(Document):
	pass
