"""Merging a duplicate member into the surviving one: the duplicate's ledger entries (lots, allocations,
history) and every other record linked to it move to the survivor unchanged, so the survivor's balance
becomes the sum of both; the duplicate is Closed and points to the survivor."""

import frappe
from frappe import _

from loyalty_app.loyalty.services.ledger import LEDGER, POINT_FIGURES, move_ledger
from loyalty_app.loyalty.services.tiers import upgrade_if_qualified
from loyalty_app.trust.services.links import MEMBER, member_link_fields
from loyalty_app.trust.services.members import set_member_status

# Records that stay with the duplicate: its own merge documents, consents and privacy requests; the
# ledger moves with the member's point figures through the ledger service.
STAYS = {"Member Merge", "Member Consent", "Privacy Request", LEDGER}
PURCHASE_FIGURES = ("purchase_count", "total_spend")


class MergeError(frappe.ValidationError):
	pass


def merge(duplicate: str, survivor: str) -> dict:
	"""Move everything of `duplicate` to `survivor`; returns what moved (points, rows per DocType)."""
	if duplicate == survivor:
		frappe.throw(_("A member cannot be merged into itself"), MergeError)
	rows = {
		row.name: row
		for row in frappe.db.sql(
			f"""select name, status, erased, first_purchase_date, last_purchase_date,
				{", ".join((*POINT_FIGURES, *PURCHASE_FIGURES))}
			from `tabLoyalty Member` where name in %s order by name for update""",
			((duplicate, survivor),),
			as_dict=True,
		)
	}
	for name in (duplicate, survivor):
		if name not in rows:
			frappe.throw(_("Loyalty Member {0} does not exist").format(name), frappe.DoesNotExistError)
		if rows[name].status == "Closed" or rows[name].erased:
			frappe.throw(_("Member {0} is closed and cannot be merged").format(name), MergeError)
	moved = {}
	if entries := move_ledger(duplicate, survivor):
		moved[f"{LEDGER}.member"] = entries
	for doctype, fieldname in member_link_fields():
		if doctype in STAYS:
			continue
		condition = " and name != %(survivor)s" if doctype == MEMBER else ""
		frappe.db.sql(
			f"update `tab{doctype}` set `{fieldname}` = %(survivor)s where `{fieldname}` = %(duplicate)s{condition}",
			{"survivor": survivor, "duplicate": duplicate},
		)
		count = frappe.db._cursor.rowcount
		if count:
			moved[f"{doctype}.{fieldname}"] = count
	_combine_figures(rows[duplicate], rows[survivor])
	set_member_status(duplicate, "Closed", _("Merged into {0}").format(survivor))
	upgrade_if_qualified(survivor)
	return {"points": rows[duplicate].points_balance, "moved": moved}


def _combine_figures(duplicate, survivor) -> None:
	combined = {f: (survivor[f] or 0) + (duplicate[f] or 0) for f in PURCHASE_FIGURES}
	dates = [d for d in (duplicate.first_purchase_date, survivor.first_purchase_date) if d]
	combined["first_purchase_date"] = min(dates) if dates else None
	dates = [d for d in (duplicate.last_purchase_date, survivor.last_purchase_date) if d]
	combined["last_purchase_date"] = max(dates) if dates else None
	frappe.db.set_value(MEMBER, survivor.name, combined, update_modified=False)
	frappe.db.set_value(
		MEMBER,
		duplicate.name,
		{**dict.fromkeys(PURCHASE_FIGURES, 0), "merged_into": survivor.name, "points_expiring_soon": 0},
		update_modified=False,
	)
