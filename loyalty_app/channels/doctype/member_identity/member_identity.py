from frappe.model.document import Document

from loyalty_app.channels.services.identities import prepare_identity


class MemberIdentity(Document):
	def validate(self):
		prepare_identity(self)
