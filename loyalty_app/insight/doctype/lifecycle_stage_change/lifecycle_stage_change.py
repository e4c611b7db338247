from frappe.model.document import Document


class LifecycleStageChange(Document):
	pass
