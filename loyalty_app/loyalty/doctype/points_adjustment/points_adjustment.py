import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.loyalty.services.ledger import Voucher, credit, debit, reverse_caused_by


class PointsAdjustment(Document):
	def validate(self):
		if not self.points:
			frappe.throw(_("Enter the points to credit (positive) or debit (negative)"))
		if not self.company:
			self.company = frappe.defaults.get_user_default("Company")

	def on_submit(self):
		voucher = Voucher(self.doctype, self.name, self.company)
		key = f"{self.doctype}:{self.name}:adjust"
		if self.points > 0:
			credit(self.member, self.points, "Adjust", voucher, key=key, remarks=self.reason)
		else:
			debit(self.member, -self.points, "Adjust", voucher, key=key, remarks=self.reason)

	def on_cancel(self):
		self.ignore_linked_doctypes = ("Points Ledger Entry",)
		reverse_caused_by(Voucher(self.doctype, self.name, self.company), block_shortfall=True)
