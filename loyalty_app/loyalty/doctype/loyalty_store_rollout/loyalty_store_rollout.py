from frappe.model.document import Document


class LoyaltyStoreRollout(Document):
	pass
