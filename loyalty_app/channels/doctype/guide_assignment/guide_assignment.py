from frappe.model.document import Document


class GuideAssignment(Document):
	pass
