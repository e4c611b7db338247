from frappe.model.document import Document

from loyalty_app.community.services.groups import check_join


class CommunityMembership(Document):
	def validate(self):
		if self.status == "Active" and (self.is_new() or self.has_value_changed("status")):
			check_join(self)
