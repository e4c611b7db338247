from frappe.model.document import Document

from loyalty_app.outreach.services.events import validate_registration


class MemberEventRegistration(Document):
	def validate(self):
		validate_registration(self)
