import frappe
from frappe.model.document import Document

from loyalty_app.outreach.services import sends
from loyalty_app.outreach.services.segments import count_members
from loyalty_app.utils import CachedFigures, figure


class MessageSend(CachedFigures, Document):
	recipients = figure("recipients")
	sent_count = figure("sent_count")
	waiting_count = figure("waiting_count")
	capped_count = figure("capped_count")
	failed_count = figure("failed_count")

	def compute_figures(self) -> dict:
		return sends.figures(self.name)

	def validate(self):
		if self.is_new():
			self.status = sends.DRAFT

	@frappe.whitelist(methods=["POST"])
	def start(self) -> str:
		self.check_permission("write")
		return sends.start(self.name)

	@frappe.whitelist()
	def segment_size(self) -> int:
		return count_members(self)
