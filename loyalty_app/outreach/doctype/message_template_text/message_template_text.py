from frappe.model.document import Document


class MessageTemplateText(Document):
	pass
