from frappe.model.document import Document


class LotteryPrize(Document):
	pass
