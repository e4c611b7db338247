"""ERPNext document events: translate an invoice into calls of the loyalty services."""

import frappe
from frappe import _
from frappe.utils import cint

from loyalty_app.channels.services import guides
from loyalty_app.engagement.services import member_days
from loyalty_app.loyalty.services import sales
from loyalty_app.loyalty.services.members import member_for_customer
from loyalty_app.loyalty.services.rollout import programme_live
from loyalty_app.rewards.services import coupons


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
	member_days.mark_invoice(invoice)
	guides.credit_guide(invoice)
	sales.prepare_points_payment(invoice)
	coupons.check_invoice_coupon(invoice)


def invoice_on_submit(invoice, method=None) -> None:
	if not sales.posts_loyalty(invoice):
		return
	if invoice.is_return:
		sales.record_return(invoice)
	else:
		sales.record_sale(invoice)


def invoice_on_cancel(invoice, method=None) -> None:
	if not sales.posts_loyalty(invoice):
		return
	invoice.ignore_linked_doctypes = (*(invoice.get("ignore_linked_doctypes") or ()), "Points Ledger Entry")
	sales.cancel_invoice(invoice)
