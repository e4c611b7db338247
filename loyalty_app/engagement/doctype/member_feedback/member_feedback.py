from frappe.model.document import Document

from loyalty_app.engagement.services import feedback


class MemberFeedback(Document):
	def validate(self):
		feedback.validate(self)

	def after_insert(self):
		feedback.after_insert(self)

	def on_update(self):
		feedback.on_update(self)
