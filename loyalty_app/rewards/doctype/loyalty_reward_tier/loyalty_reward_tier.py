from frappe.model.document import Document


class LoyaltyRewardTier(Document):
	pass
