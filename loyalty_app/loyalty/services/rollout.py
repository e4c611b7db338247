"""Rollout by store: whether the programme runs where and when an invoice was made.

Loyalty Settings' *Live Stores* lists the stores (warehouses) the programme runs in and from which date;
an empty list means every store. An invoice belongs to the store of its POS Profile's warehouse, else
to its Set Source Warehouse, else (when it updates stock) to the warehouse its first line's goods left;
a Sales Invoice with none of these (a back-office invoice whose line warehouses are only defaults)
follows its company: live once any of the company's stores is. A return follows the invoice it
returns, so points earned in a live store are taken back wherever the goods come back.
"""

from datetime import date

import frappe
from frappe.utils import getdate


def programme_live(invoice) -> bool:
	rollout = frappe.get_cached_doc("Loyalty Settings").store_rollout
	if not rollout:
		return True
	if invoice.get("is_return") and invoice.get("return_against"):
		return bool(frappe.db.get_value(invoice.doctype, invoice.return_against, "loyalty_member"))
	on_date = getdate(invoice.posting_date)
	store = store_of(invoice)
	if store:
		return any(row.store == store and _started(row, on_date) for row in rollout)
	return any(row.company == invoice.company and _started(row, on_date) for row in rollout)


def store_of(invoice) -> str | None:
	if invoice.get("pos_profile"):
		return frappe.get_cached_value("POS Profile", invoice.pos_profile, "warehouse")
	if invoice.get("set_warehouse"):
		return invoice.set_warehouse
	if invoice.get("update_stock"):
		return next((item.warehouse for item in invoice.get("items", []) if item.get("warehouse")), None)
	return None


def _started(row, on_date: date) -> bool:
	return getdate(row.live_from) <= on_date
