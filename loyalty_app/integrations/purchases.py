"""What a member's purchase (an invoice or an API order) sets in motion, and what its reversal does, in the
order it must run. The services below each do one thing; only this module sequences them."""

from datetime import date

from loyalty_app.insight.services.lifecycle import refresh_member
from loyalty_app.loyalty.services.ledger import Voucher
from loyalty_app.loyalty.services.sales import Purchase
from loyalty_app.loyalty.services.tiers import fall_back_if_unqualified, upgrade_if_qualified
from loyalty_app.rewards.services import campaigns


def after_purchase(member: str, purchase: Purchase | None) -> None:
	"""After the earn: double-points bonus, referral bonuses (first paid purchase), tier upgrade with its
	gift, all caused by the purchase; then the lifecycle stage."""
	if purchase:
		campaigns.on_earn(member, purchase.points, purchase.voucher, purchase.on_date)
		if purchase.first_paid:
			campaigns.on_first_paid_purchase(member, purchase.voucher)
		upgrade_if_qualified(member, purchase.on_date, cause=purchase.voucher)
	refresh_member(member)


def after_reversal(member: str, original: Voucher, since: date) -> None:
	"""After the ledger reversed what `original` (posted on `since`) caused, wholly or pro rata: a tier it
	brought falls back with its gift, the campaigns' budgets get back what was reversed, the stage follows."""
	fall_back_if_unqualified(member, original, since)
	campaigns.recount_issued(original)
	refresh_member(member)


def after_reversal_undone(member: str, original: Voucher, on_date: date) -> None:
	"""A cancelled return gave `original`'s points back: its tier may be reached again."""
	upgrade_if_qualified(member, on_date, cause=original)
	campaigns.recount_issued(original)
	refresh_member(member)
