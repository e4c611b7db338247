import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import get_datetime

from loyalty_app.outreach.services import events
from loyalty_app.utils import CachedFigures, figure


class MemberEvent(CachedFigures, Document):
	invitations_sent = figure("invitations_sent")
	registered_count = figure("registered_count")
	attended_count = figure("attended_count")

	def compute_figures(self) -> dict:
		return events.event_figures(self.name)

	def validate(self):
		if self.ends_on and get_datetime(self.ends_on) < get_datetime(self.starts_on):
			frappe.throw(_("The event cannot end before it starts"))

	@frappe.whitelist(methods=["POST"])
	def send_invitations(self) -> str:
		self.check_permission("write")
		return events.invite(self.name)

	@frappe.whitelist(methods=["POST"])
	def refresh_results(self) -> dict:
		self.check_permission("write")
		return events.refresh_results(self.name)


@frappe.whitelist(methods=["POST"])
def check_in(member_event: str, member: str) -> dict:
	"""At the door: a clerk (Loyalty User) or manager marks a member as attending."""
	frappe.has_permission("Member Event Registration", "create", throw=True)
	frappe.has_permission("Member Event", "read", doc=member_event, throw=True)
	return events.check_in(member_event, member)
