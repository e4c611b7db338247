from frappe.model.document import Document


class WelcomePackCoupon(Document):
	pass
