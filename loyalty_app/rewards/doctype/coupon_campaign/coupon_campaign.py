import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.rewards.services import coupons
from loyalty_app.utils import CachedFigures, figure


class CouponCampaign(CachedFigures, Document):
	def validate(self):
		if (self.code_length or 0) < 8:
			frappe.throw(_("Codes need at least 8 random characters to be hard to guess"))
		if self.code_prefix and not self.code_prefix.isalnum():
			frappe.throw(_("The code prefix may only have letters and digits"))
		if not self.discount_value or (self.discount_type == "Percentage" and self.discount_value > 100):
			frappe.throw(_("Enter a discount above 0 (and at most 100 for a percentage)"))
		if self.valid_from and self.valid_upto and self.valid_from > self.valid_upto:
			frappe.throw(_("Valid From must be on or before Valid Up To"))

	def on_update(self):
		rule = coupons.sync_pricing_rule(self)
		if rule != self.pricing_rule:
			self.db_set("pricing_rule", rule)

	issued_count = figure("issued_count")
	bound_count = figure("bound_count")
	used_count = figure("used_count")
	expired_count = figure("expired_count")

	def compute_figures(self) -> dict:
		return coupons.campaign_figures(self.name)

	@frappe.whitelist(methods=["POST"])
	def generate_codes(self, quantity: int) -> None:
		self.check_permission("write")
		coupons.enqueue_generation(self.name, int(quantity))

	@frappe.whitelist(methods=["POST"])
	def issue_to_segment(
		self,
		tier: str | None = None,
		tag: str | None = None,
		community_group: str | None = None,
		lifecycle_stage: str | None = None,
		rfm_segment: str | None = None,
	) -> None:
		self.check_permission("write")
		coupons.enqueue_issue_to_segment(
			self.name,
			tier=tier,
			tag=tag,
			community_group=community_group,
			lifecycle_stage=lifecycle_stage,
			rfm_segment=rfm_segment,
		)
