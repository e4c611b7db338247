from frappe.model.document import Document


class ChannelSettings(Document):
	pass
