"""ERPNext document events: what a Sales Invoice or POS Invoice submit, cancel or return sets in motion,
one function per event, in the order it runs. Each step is one service call."""

from datetime import date

import frappe
from frappe import _
from frappe.utils import cint, getdate

from loyalty_app.channels.services import guides
from loyalty_app.engagement.services import member_days
from loyalty_app.integrations import purchases
from loyalty_app.loyalty.services import sales
from loyalty_app.loyalty.services.ledger import Voucher
from loyalty_app.loyalty.services.members import member_for_customer, surviving_member
from loyalty_app.loyalty.services.rollout import programme_live
from loyalty_app.rewards.services import coupons
from loyalty_app.trust.services import risk


def invoice_before_validate(invoice, method=None) -> None:
	# An invoice of a store the programme is not live in has no member: it earns, redeems and counts nothing.
	if programme_live(invoice):
		invoice.loyalty_member = member_for_customer(invoice.customer)
	else:
		invoice.loyalty_member = None
		if cint(invoice.get("loyalty_points_redeemed")):
			frappe.throw(
				_("The loyalty programme is not live in this store yet, so no points can be redeemed")
			)
	sales.refuse_return_against_consolidated(invoice)
	if invoice.is_return and sales.posts_loyalty(invoice):
		sales.points_refund(invoice)  # refuses, before anything is written, a refund beyond the bound
	member_days.mark_invoice(invoice)
	guides.credit_guide(invoice)
	sales.prepare_points_payment(invoice)
	coupons.check_invoice_coupon(invoice)


def invoice_on_submit(invoice, method=None) -> None:
	if not sales.posts_loyalty(invoice):
		return
	if invoice.is_return:
		sales.record_return(invoice)
		purchases.after_reversal(invoice.loyalty_member, *_original_of(invoice))
		risk.check_return(invoice)
	else:
		purchases.after_purchase(invoice.loyalty_member, sales.record_sale(invoice))


def invoice_on_cancel(invoice, method=None) -> None:
	if not sales.posts_loyalty(invoice):
		return
	invoice.ignore_linked_doctypes = (*(invoice.get("ignore_linked_doctypes") or ()), "Points Ledger Entry")
	sales.cancel_invoice(invoice)
	member = surviving_member(invoice.loyalty_member)
	if invoice.is_return:
		purchases.after_reversal_undone(member, _original_of(invoice)[0], getdate(invoice.posting_date))
	else:
		purchases.after_reversal(member, sales.voucher_of(invoice), getdate(invoice.posting_date))


def _original_of(return_invoice) -> tuple[Voucher, date]:
	"""The invoice a return is against (the cause of what the return reverses) and its posting date."""
	original = frappe.db.get_value(
		return_invoice.doctype, return_invoice.return_against, ["company", "posting_date"], as_dict=True
	)
	return Voucher(return_invoice.doctype, return_invoice.return_against, original.company), getdate(
		original.posting_date
	)
