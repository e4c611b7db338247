"""Shopping guides (导购): a member's exclusive guide is an ERPNext Sales Person. Set at enrolment (the
clerk, or the guide's QR code), reassigned by a manager, every change a Guide Assignment row; the member's
invoices carry the guide in their Sales Team so ERPNext's commission reports credit them."""

from urllib.parse import quote

import frappe
from frappe import _
from frappe.utils import now_datetime

from loyalty_app.install import SHOPPING_GUIDE

MEMBER = "Loyalty Member"
ASSIGNMENT = "Guide Assignment"
MANAGERS = ("Loyalty Manager", "System Manager")
# Roles that see every member; a user with the Shopping Guide role and none of these sees their own.
UNSCOPED_ROLES = {"Loyalty Manager", "Loyalty User", "Loyalty Integration", "System Manager"}


class GuideError(frappe.ValidationError):
	pass


def _check_guide(sales_person: str) -> None:
	row = frappe.db.get_value("Sales Person", sales_person, ["is_group", "enabled"], as_dict=True)
	if not row:
		frappe.throw(_("Sales Person {0} does not exist").format(sales_person), frappe.DoesNotExistError)
	if row.is_group or not row.enabled:
		frappe.throw(
			_("{0} cannot be a shopping guide: it is a group or disabled").format(sales_person), GuideError
		)


def assign_guide(member: str, sales_person: str | None, assigned_via: str, reason: str | None = None) -> None:
	"""Make `sales_person` (None: nobody) the member's guide and record the change."""
	if sales_person:
		_check_guide(sales_person)
	row = frappe.db.sql(
		"select shopping_guide from `tabLoyalty Member` where name = %s for update", member, as_dict=True
	)
	if not row:
		frappe.throw(_("Loyalty Member {0} does not exist").format(member), frappe.DoesNotExistError)
	previous = row[0].shopping_guide
	if previous == sales_person:
		return
	frappe.db.set_value(MEMBER, member, "shopping_guide", sales_person)
	frappe.get_doc(
		{
			"doctype": ASSIGNMENT,
			"member": member,
			"sales_person": sales_person,
			"previous_sales_person": previous,
			"assigned_via": assigned_via,
			"assigned_on": now_datetime(),
			"assigned_by": frappe.session.user,
			"reason": reason,
		}
	).insert(ignore_permissions=True)


def guide_new_member(member: str, sales_person: str | None, assigned_via: str = "Enrolment") -> None:
	"""At enrolment: a member without a guide gets this one; an existing guide is kept (managers reassign)."""
	if sales_person and not frappe.db.get_value(MEMBER, member, "shopping_guide"):
		assign_guide(member, sales_person, assigned_via)


def reassign_guide(member: str, sales_person: str | None, reason: str) -> None:
	if not set(MANAGERS) & set(frappe.get_roles()):
		frappe.throw(_("Only a Loyalty Manager can reassign a shopping guide"), frappe.PermissionError)
	if not (reason or "").strip():
		frappe.throw(_("Give the reason for reassigning the guide"), GuideError)
	assign_guide(member, sales_person or None, "Reassignment", reason.strip())


def guide_link(sales_person: str) -> str:
	"""The enrolment link of the guide's QR code (Channel Settings' template with the guide filled in)."""
	_check_guide(sales_person)
	template = frappe.db.get_single_value("Channel Settings", "guide_link")
	if not template or "{guide}" not in template:
		frappe.throw(_("Set the Guide Enrolment Link, with {guide} in it, in Channel Settings"), GuideError)
	return template.replace("{guide}", quote(sales_person, safe=""))


def credit_guide(invoice) -> None:
	"""Invoice before_validate: a member's invoice without a Sales Team credits the member's guide in full
	(while the guide is enabled: a guide who left is not credited)."""
	if not invoice.get("loyalty_member") or invoice.get("sales_team") or invoice.docstatus != 0:
		return
	guide = frappe.db.get_value(MEMBER, invoice.loyalty_member, "shopping_guide")
	if guide and frappe.db.get_value("Sales Person", guide, "enabled"):
		invoice.append("sales_team", {"sales_person": guide, "allocated_percentage": 100})


# Guide-scoped member lists: a user whose only loyalty role is Shopping Guide sees the members whose guide
# is one of their Sales Persons (a Sales Person is theirs through its Employee's user).


def guides_of(user: str) -> list[str]:
	employees = frappe.get_all("Employee", filters={"user_id": user}, pluck="name")
	if not employees:
		return []
	return frappe.get_all("Sales Person", filters={"employee": ("in", employees), "enabled": 1}, pluck="name")


def _scoped(user: str) -> bool:
	roles = set(frappe.get_roles(user))
	return SHOPPING_GUIDE in roles and not roles & UNSCOPED_ROLES


def member_query_condition(user: str | None = None) -> str:
	"""permission_query_conditions for Loyalty Member."""
	user = user or frappe.session.user
	if not _scoped(user):
		return ""
	guides = guides_of(user)
	if not guides:
		return "1 = 0"
	return f"`tabLoyalty Member`.`shopping_guide` in ({', '.join(frappe.db.escape(g) for g in guides)})"


def member_permission(doc, ptype: str | None = None, user: str | None = None) -> bool | None:
	"""has_permission for Loyalty Member: a guide opens only their own members."""
	user = user or frappe.session.user
	if not _scoped(user):
		return None
	return doc.get("shopping_guide") in guides_of(user)
