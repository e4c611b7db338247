"""Small helpers shared across the app's modules."""

from functools import partial

import frappe
from frappe import _

# The columns every row of a DocType table has, first in a set-based insert (frappe.db.bulk_insert).
STANDARD_COLUMNS = ("name", "creation", "modified", "owner", "modified_by", "docstatus")


def drop_cached(key: str) -> None:
	"""Forget a cached value after what it caches changed; again if that change's transaction rolls back,
	since Redis does not roll back with MariaDB and the cache may meanwhile hold the undone change."""
	frappe.cache.delete_value(key)
	frappe.db.after_rollback.add(partial(frappe.cache.delete_value, key))


def lock_row(doctype: str, name: str) -> frappe._dict:
	"""The document's row, locked for this transaction (SELECT ... FOR UPDATE); 404 if it does not exist."""
	rows = frappe.db.sql(f"select * from `tab{doctype}` where name = %s for update", name, as_dict=True)
	if not rows:
		frappe.throw(_("{0} {1} does not exist").format(_(doctype), name), frappe.DoesNotExistError)
	return rows[0]


def locked_value(query: str, values=None):
	"""The first value of a count or sum done as a locking read (FOR UPDATE): it sees the latest committed
	rows, not the transaction's snapshot, and keeps them locked until the transaction ends. Every limit
	is decided on such a read, taken after the lock of the row the limit belongs to (member, reward,
	group, event...), so two transactions can never both pass it."""
	return frappe.db.sql(f"{query} for update", values)[0][0]


def end_if_nothing_written() -> None:
	"""After a replay found the first call's result under a lock: if this transaction wrote nothing,
	end it, so that result is read next as committed, not from the transaction's older snapshot
	(REPEATABLE READ), taken before the first call had finished."""
	if not frappe.db.transaction_writes:
		frappe.db.rollback()


def save_kept_document(doctype: str, name: str | None, values: dict):
	"""Create (no name) or update a document the app keeps in step with one of its own, e.g. a coupon
	campaign's Pricing Rule; the app's own document was checked for permission already."""
	doc = frappe.get_doc(doctype, name) if name else frappe.new_doc(doctype)
	doc.update(values)
	doc.flags.ignore_permissions = True
	doc.save()
	return doc


class CachedFigures:
	"""For DocTypes whose read-only virtual fields all come from one query: define compute_figures()."""

	def compute_figures(self) -> dict:
		raise NotImplementedError

	def figures(self) -> dict:
		if not hasattr(self, "_figures"):
			self._figures = self.compute_figures() if self.name else {}
		return self._figures


def figure(fieldname: str) -> property:
	"""A virtual field whose value is one of the document's figures."""
	return property(lambda doc: doc.figures().get(fieldname, 0))
