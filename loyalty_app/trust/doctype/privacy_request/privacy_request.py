from frappe.model.document import Document


class PrivacyRequest(Document):
	pass
