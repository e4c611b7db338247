"""The Ledger Audit: the conservation rules of the points ledger, checked set-based over every member and
every document, as a retailer runs it in production (the *Ledger Audit* report, or
`bench --site SITE execute loyalty_app.loyalty.services.audit.run`).

Each rule is one query over the whole ledger that returns only the rows that break it, so a healthy ledger
costs a few scans and the answer is "no breaks". The rules:

- ``balance``: a member's points balance is the sum of their ledger entries.
- ``lots``: the sum of their entries is the sum of what remains in their lots less their points debt.
- ``debt``: a member's points debt is never negative.
- ``lot``: what remains in a lot is what it credited, less what consuming entries took from it, plus what
  reversals gave back to it; never below zero nor above what it credited.
- ``cancelled``: a cancelled document has caused net zero points (summed over the entries it caused, on
  every member: its own, the bonuses it brought, their reversals).
- ``cause``: every entry names the business document that caused it.
- ``voucher``: every entry's voucher exists.
"""

from dataclasses import asdict, dataclass

import frappe
from frappe import _

LEDGER = "Points Ledger Entry"


@dataclass(frozen=True)
class Break:
	rule: str
	member: str | None
	document: str | None
	expected: int
	actual: int

	def describe(self) -> str:
		return RULE_DESCRIPTIONS[self.rule]()


RULE_DESCRIPTIONS = {
	"balance": lambda: _("The member's points balance differs from the sum of their ledger entries"),
	"lots": lambda: _(
		"The sum of the member's entries differs from their lots' remaining points less their debt"
	),
	"debt": lambda: _("The member's points debt is negative"),
	"lot": lambda: _("The lot's remaining points differ from what it credited less what was taken from it"),
	"cancelled": lambda: _("A cancelled document still holds points"),
	"cause": lambda: _("The entry does not name the document that caused it"),
	"voucher": lambda: _("The entry's voucher does not exist"),
}


def find_breaks() -> list[Break]:
	"""Every break of every rule, members' rules first."""
	return [
		*_member_breaks(),
		*_lot_breaks(),
		*_cancelled_document_breaks(),
		*_causeless_entry_breaks(),
		*_missing_voucher_breaks(),
	]


def _member_breaks() -> list[Break]:
	rows = frappe.db.sql(
		"""select m.name, m.points_balance, m.points_debt,
			coalesce(e.entries, 0) as entries, coalesce(e.remaining, 0) as remaining
		from `tabLoyalty Member` m
		left join (
			select member, sum(points) as entries, sum(remaining_points) as remaining
			from `tabPoints Ledger Entry` group by member
		) e on e.member = m.name
		where m.points_balance != coalesce(e.entries, 0)
			or coalesce(e.entries, 0) != coalesce(e.remaining, 0) - m.points_debt
			or m.points_debt < 0""",
		as_dict=True,
	)
	breaks = []
	for row in rows:
		if row.points_balance != row.entries:
			breaks.append(Break("balance", row.name, None, int(row.entries), int(row.points_balance)))
		if row.entries != row.remaining - row.points_debt:
			breaks.append(
				Break("lots", row.name, None, int(row.remaining - row.points_debt), int(row.entries))
			)
		if row.points_debt < 0:
			breaks.append(Break("debt", row.name, None, 0, int(row.points_debt)))
	return breaks


def _lot_breaks() -> list[Break]:
	"""A lot is a positive entry without allocations of its own; allocations of other entries move it:
	those of a positive entry give points back to it, those of any other entry take points from it."""
	rows = frappe.db.sql(
		"""select lot.name, lot.member, lot.points, lot.remaining_points,
			lot.points + coalesce(moved.points, 0) as expected
		from `tabPoints Ledger Entry` lot
		left join (
			select allocation.lot, sum(if(mover.points > 0, allocation.points, -allocation.points)) as points
			from `tabPoints Ledger Allocation` allocation
			join `tabPoints Ledger Entry` mover on mover.name = allocation.parent
			group by allocation.lot
		) moved on moved.lot = lot.name
		where lot.points > 0
			and not exists (select 1 from `tabPoints Ledger Allocation` own where own.parent = lot.name)
			and (lot.remaining_points != lot.points + coalesce(moved.points, 0)
				or lot.remaining_points < 0 or lot.remaining_points > lot.points)""",
		as_dict=True,
	)
	return [Break("lot", r.member, r.name, int(r.expected), int(r.remaining_points)) for r in rows]


def _voucher_types() -> list[str]:
	return frappe.db.sql_list(
		"select distinct voucher_type from `tabPoints Ledger Entry` where coalesce(voucher_type, '') != ''"
	)


def _cancelled_document_breaks() -> list[Break]:
	breaks = []
	for doctype in frappe.db.sql_list(
		"select distinct cause_type from `tabPoints Ledger Entry` where coalesce(cause_type, '') != ''"
	):
		if not frappe.db.exists("DocType", doctype) or not frappe.get_meta(doctype).is_submittable:
			continue
		rows = frappe.db.sql(
			f"""select entry.cause_name, entry.member, sum(entry.points) as points
			from `tabPoints Ledger Entry` entry
			join `tab{doctype}` document on document.name = entry.cause_name
			where entry.cause_type = %s and document.docstatus = 2
			group by entry.cause_name, entry.member having sum(entry.points) != 0""",
			doctype,
			as_dict=True,
		)
		breaks += [Break("cancelled", r.member, f"{doctype} {r.cause_name}", 0, int(r.points)) for r in rows]
	return breaks


def _causeless_entry_breaks() -> list[Break]:
	rows = frappe.db.sql(
		"""select name, member from `tabPoints Ledger Entry`
		where coalesce(cause_type, '') = '' or coalesce(cause_name, '') = ''""",
		as_dict=True,
	)
	return [Break("cause", r.member, f"Points Ledger Entry {r.name}", 1, 0) for r in rows]


def _missing_voucher_breaks() -> list[Break]:
	breaks = []
	for doctype in _voucher_types():
		if not frappe.db.exists("DocType", doctype):
			rows = frappe.db.sql(
				"select name, member, voucher_no from `tabPoints Ledger Entry` where voucher_type = %s",
				doctype,
				as_dict=True,
			)
		else:
			rows = frappe.db.sql(
				f"""select entry.name, entry.member, entry.voucher_no from `tabPoints Ledger Entry` entry
				left join `tab{doctype}` document on document.name = entry.voucher_no
				where entry.voucher_type = %s and document.name is null""",
				doctype,
				as_dict=True,
			)
		breaks += [Break("voucher", r.member, f"{doctype} {r.voucher_no}", 1, 0) for r in rows]
	return breaks


def run() -> int:
	"""Bench entry point: prints a summary and every break; returns the number of breaks."""
	breaks = find_breaks()
	members = frappe.db.count("Loyalty Member")
	entries = frappe.db.count(LEDGER)
	print(f"Ledger Audit: {members} members, {entries} ledger entries, {len(breaks)} breaks")
	for found in breaks:
		print(f"  {found.rule}: {asdict(found)} — {found.describe()}")
	return len(breaks)
