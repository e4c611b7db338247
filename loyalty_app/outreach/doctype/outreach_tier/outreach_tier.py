from frappe.model.document import Document


class OutreachTier(Document):
	pass
