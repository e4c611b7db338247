from frappe.model.document import Document


class WelcomePack(Document):
	pass
