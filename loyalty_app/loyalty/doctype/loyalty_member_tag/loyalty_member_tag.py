from frappe.model.document import Document


class LoyaltyMemberTag(Document):
	pass
