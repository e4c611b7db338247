import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.loyalty.services.members import (
	create_customer_for,
	customer_for_mobile,
	new_referral_code,
	normalize_mobile,
)
from loyalty_app.trust.services.members import refuse_unpermitted_changes

# Kept in step with the ledger by the services; never taken from user input.
SERVICE_FIELDS = (
	"tier",
	"tier_since",
	"tier_valid_until",
	"tier_in_grace",
	"points_balance",
	"points_expiring_soon",
	"next_points_expiry",
	"lifetime_earned",
	"lifetime_redeemed",
	"points_debt",
	"last_purchase_date",
	"last_event_attended",
	"purchase_count",
	"total_spend",
	"referral_code",
	"enrolment_batch",
	"lifecycle_stage",
	"lifecycle_stage_since",
	"first_purchase_date",
	"rfm_segment",
	"rfm_scores",
	"last_win_back_on",
	"feedback_risk",
	"feedback_risk_until",
	"customer_lifetime_value",
	"lifetime_revenue",
	"acquisition_cost",
	"value_refreshed_on",
	"external_member_code",
	"import_batch",
)


class DuplicateMemberError(frappe.DuplicateEntryError):
	pass


class LoyaltyMember(Document):
	def validate(self):
		self.keep_service_fields()
		if self.erased:
			return
		self.mobile_no = normalize_mobile(self.mobile_no)
		self.validate_unique("mobile_no", _("mobile number"))
		if self.is_new() and not self.customer:
			self.customer = customer_for_mobile(self.mobile_no)
		self.validate_unique("customer", _("customer"))

	def before_save(self):
		if self.is_new():
			self.referral_code = new_referral_code()
			if not self.customer:
				self.customer = create_customer_for(self)

	def reset_values_if_no_permlevel_access(self, has_access_to, high_permlevel_fields):
		"""Fields the user may not write are refused when changed, restored when left out."""
		to_restore = refuse_unpermitted_changes(self, has_access_to, high_permlevel_fields)
		super().reset_values_if_no_permlevel_access(has_access_to, to_restore)

	def keep_service_fields(self):
		before = self.get_doc_before_save()
		for fieldname in SERVICE_FIELDS:
			if before:
				self.set(fieldname, before.get(fieldname))
			else:
				field = self.meta.get_field(fieldname)
				self.set(
					fieldname,
					field.default or (0 if field.fieldtype in ("Int", "Currency", "Check") else None),
				)

	def validate_unique(self, fieldname: str, label: str):
		value = self.get(fieldname)
		if not value:
			return
		existing = frappe.db.get_value(self.doctype, {fieldname: value, "name": ("!=", self.name)})
		if existing:
			frappe.throw(
				_("Member {0} already has this {1}: {2}").format(frappe.bold(existing), label, value),
				DuplicateMemberError,
			)
