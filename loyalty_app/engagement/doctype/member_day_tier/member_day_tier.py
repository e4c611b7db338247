from frappe.model.document import Document


class MemberDayTier(Document):
	pass
