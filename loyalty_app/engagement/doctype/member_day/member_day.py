from frappe.model.document import Document

from loyalty_app.engagement.services import member_days


class MemberDay(Document):
	def validate(self):
		member_days.validate(self)

	def on_update(self):
		member_days.sync(self)

	def on_trash(self):
		member_days.remove(self)
