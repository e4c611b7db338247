from frappe.model.document import Document

from loyalty_app.community.services.groups import group_figures
from loyalty_app.utils import CachedFigures, figure


class CommunityGroup(CachedFigures, Document):
	member_count = figure("member_count")
	active_members_30_days = figure("active_members_30_days")
	converted_members = figure("converted_members")
	members_purchase_count = figure("members_purchase_count")
	members_total_spend = figure("members_total_spend")

	def compute_figures(self) -> dict:
		return group_figures(self.name)
