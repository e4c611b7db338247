"""The programme's settings as typed values, with the date rules that depend on them."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import frappe
from frappe.utils import add_days, add_months, getdate

from loyalty_app.engine.points import Rounding
from loyalty_app.engine.tiers import review_window

MONTHS_AFTER_EARNING = "Months after earning"
END_OF_NEXT_YEAR = "End of next calendar year"
ROLLING_MONTHS = "Rolling months"
AMOUNT_SPENT = "Amount spent"
BLOCK_THE_RETURN = "Block the return"


@dataclass(frozen=True)
class ProgrammeSettings:
	points_per_currency_unit: Decimal
	rounding: Rounding
	max_points_per_day: int
	mobile_region: str
	expiry_rule: str
	expiry_months: int
	expiry_reminder_days: int
	tier_basis: str
	qualification_window: str
	qualification_months: int
	downgrade_grace_days: int
	clawback_on_return: bool
	block_return_shortfall: bool
	point_value: Decimal
	redemption_mode_of_payment: str

	def expiry_date(self, posting_date: date) -> date | None:
		"""Points earned on posting_date stay spendable up to and including this date."""
		if self.expiry_rule == MONTHS_AFTER_EARNING:
			return getdate(add_days(add_months(posting_date, self.expiry_months), -1))
		if self.expiry_rule == END_OF_NEXT_YEAR:
			return date(posting_date.year + 1, 12, 31)
		return None

	def window_start(self, on_date: date) -> date:
		"""First day of the qualification window that ends on on_date."""
		return review_window(
			calendar_year=self.qualification_window != ROLLING_MONTHS,
			months=self.qualification_months,
			period_end=getdate(on_date),
			in_grace=False,
			today=getdate(on_date),
		)[0]

	def tier_valid_until(self, on_date: date) -> date:
		"""A tier reached or kept on on_date is next reviewed after this date."""
		if self.qualification_window == ROLLING_MONTHS:
			return getdate(add_days(add_months(on_date, self.qualification_months), -1))
		return date(on_date.year, 12, 31)

	@property
	def qualifies_by_amount(self) -> bool:
		return self.tier_basis == AMOUNT_SPENT


def get_settings() -> ProgrammeSettings:
	doc = frappe.get_cached_doc("Loyalty Settings")
	return ProgrammeSettings(
		points_per_currency_unit=Decimal(str(doc.points_per_currency_unit or 0)),
		rounding=Rounding(doc.rounding or Rounding.DOWN),
		max_points_per_day=doc.max_points_per_day or 0,
		mobile_region=(doc.mobile_region or "CN").upper(),
		expiry_rule=doc.expiry_rule or MONTHS_AFTER_EARNING,
		expiry_months=doc.expiry_months or 12,
		expiry_reminder_days=doc.expiry_reminder_days or 0,
		tier_basis=doc.tier_basis,
		qualification_window=doc.qualification_window or ROLLING_MONTHS,
		qualification_months=doc.qualification_months or 12,
		downgrade_grace_days=doc.downgrade_grace_days or 0,
		clawback_on_return=bool(doc.clawback_on_return),
		block_return_shortfall=doc.return_shortfall == BLOCK_THE_RETURN,
		point_value=Decimal(str(doc.point_value or 0)),
		redemption_mode_of_payment=doc.redemption_mode_of_payment or "Loyalty Points",
	)
