"""A race harness: the same operation fired at once from several sessions, each with its own connection.

Each session is a thread that does what a request does: frappe.init and frappe.connect on the test's
site, a user, the call, then a commit (or a rollback when the call fails). A barrier starts the calls
together. The sessions cannot see the test's open transaction, so `race` commits it first: fixture data
must be committed and removed again explicitly (`Fixtures`).
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass

import frappe

ROUNDS = 10


@dataclass(frozen=True)
class ApiRefusal:
	"""A v1 endpoint's error answer (it rolls back and sets the response instead of raising)."""

	status: int
	code: str


def race(calls: list, users: list[str] | None = None) -> list:
	"""Run each call in its own session at the same moment; returns what each returned, raised or refused."""
	frappe.db.commit()  # nosemgrep: the sessions must see the committed test data
	site, start, results = frappe.local.site, threading.Barrier(len(calls)), [None] * len(calls)
	users = users or ["Administrator"] * len(calls)

	def session(index: int, call, user: str) -> None:
		frappe.init(site=site)
		frappe.connect()
		try:
			frappe.set_user(user)
			start.wait(timeout=120)
			try:
				result = call()
				if error := frappe.local.response.get("error"):
					result = ApiRefusal(frappe.local.response.get("http_status_code"), error["code"])
				frappe.db.commit()  # nosemgrep: a request commits at its end
				results[index] = result
			except Exception as e:
				frappe.db.rollback()
				results[index] = e
		finally:
			frappe.destroy()

	threads = [
		threading.Thread(target=session, args=(i, call, user))
		for i, (call, user) in enumerate(zip(calls, users, strict=True))
	]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	return results


@contextmanager
def committed(settings):
	"""Settings (a context manager such as `programme(...)`) committed for the sessions, and their
	restoration committed too, so no later test sees them."""
	try:
		with settings:
			frappe.db.commit()  # nosemgrep
			yield
	finally:
		frappe.db.commit()  # nosemgrep


class Fixtures:
	"""Committed test data, deleted with everything that points at it at the end of the test."""

	def __init__(self) -> None:
		self.members: list[str] = []
		self.documents: list[tuple[str, str]] = []

	def member(self, name: str) -> str:
		self.members.append(name)
		return name

	def add(self, doctype: str, name: str) -> str:
		self.documents.append((doctype, name))
		return name

	def remove(self) -> None:
		frappe.db.rollback()
		for doctype, name in reversed(self.documents):
			for child in frappe.get_meta(doctype).get_table_fields():
				frappe.db.delete(child.options, {"parent": name, "parenttype": doctype})
			frappe.db.delete(doctype, name)
		if self.members:
			entries = frappe.get_all("Points Ledger Entry", {"member": ("in", self.members)}, pluck="name")
			if entries:
				frappe.db.delete("Points Ledger Allocation", {"parent": ("in", entries)})
			for link in frappe.get_all(
				"DocField",
				filters={
					"fieldtype": "Link",
					"options": "Loyalty Member",
					"parent": ("!=", "Loyalty Member"),
				},
				fields=["parent", "fieldname"],
			):
				if not frappe.get_meta(link.parent).istable and not frappe.get_meta(link.parent).issingle:
					frappe.db.delete(link.parent, {link.fieldname: ("in", self.members)})
			customers = frappe.get_all(
				"Loyalty Member", {"name": ("in", self.members)}, pluck="customer", ignore_ifnull=True
			)
			frappe.db.delete("Loyalty Member", {"name": ("in", self.members)})
			if customers:
				frappe.db.delete("Customer", {"name": ("in", [c for c in customers if c])})
		frappe.db.commit()  # nosemgrep
