from frappe.model.document import Document


class LoyaltyPointsAccounting(Document):
	pass
