from frappe.model.document import Document

from loyalty_app.loyalty.services import adoption


class MemberEnrolmentBatch(Document):
	def after_insert(self):
		adoption.enqueue_enrolment(self.name)
