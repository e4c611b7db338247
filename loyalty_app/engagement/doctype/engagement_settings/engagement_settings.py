from frappe.model.document import Document


class EngagementSettings(Document):
	pass
