from frappe.model.document import Document


class MemberConsent(Document):
	pass
