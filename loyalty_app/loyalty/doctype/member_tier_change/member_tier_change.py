from frappe.model.document import Document


class MemberTierChange(Document):
	pass
