from frappe.model.document import Document

from loyalty_app.community.services.groups import group_figures


class CommunityGroup(Document):
	def figures(self) -> dict:
		if not hasattr(self, "_figures"):
			self._figures = group_figures(self.name) if self.name else {}
		return self._figures

	@property
	def member_count(self) -> int:
		return self.figures().get("member_count", 0)

	@property
	def active_members_30_days(self) -> int:
		return self.figures().get("active_members_30_days", 0)

	@property
	def converted_members(self) -> int:
		return self.figures().get("converted_members", 0)

	@property
	def members_purchase_count(self) -> int:
		return self.figures().get("members_purchase_count", 0)

	@property
	def members_total_spend(self) -> float:
		return self.figures().get("members_total_spend", 0)
