from frappe.model.document import Document


class LoyaltyJobRun(Document):
	pass
