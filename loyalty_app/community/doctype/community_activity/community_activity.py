from frappe.model.document import Document

from loyalty_app.community.services.groups import award_activity_points, check_activity


class CommunityActivity(Document):
	def validate(self):
		if self.is_new():
			check_activity(self)

	def after_insert(self):
		award_activity_points(self)
