"""A member's external identities (WeChat openids and unionid, WeCom external contact, app user id): one
member per (platform, app id, external id), enforced by a unique key in the database."""

import frappe
from frappe import _

IDENTITY = "Member Identity"
MEMBER = "Loyalty Member"
PLATFORMS = (
	"WeChat mini-program",
	"WeChat official account",
	"WeChat unionid",
	"WeCom external contact",
	"App",
)


class IdentityTakenError(frappe.ValidationError):
	pass


def identity_key(platform: str, app_id: str, external_id: str) -> str:
	return f"{platform}|{app_id}|{external_id}"


def prepare_identity(identity) -> None:
	"""Member Identity validate: trimmed values, a known platform, and the unique key."""
	identity.app_id = (identity.app_id or "").strip()
	identity.external_id = (identity.external_id or "").strip()
	if identity.platform not in PLATFORMS:
		frappe.throw(_("Unknown platform {0}").format(identity.platform))
	if not identity.app_id or not identity.external_id:
		frappe.throw(_("An identity needs an app ID and an external ID"))
	identity.identity_key = identity_key(identity.platform, identity.app_id, identity.external_id)
	holder = frappe.db.get_value(
		IDENTITY, {"identity_key": identity.identity_key, "name": ("!=", identity.name)}, "member"
	)
	if holder:
		frappe.throw(
			_("This {0} identity already belongs to member {1}").format(_(identity.platform), holder),
			IdentityTakenError,
		)


def member_by_identity(platform: str, app_id: str, external_id: str) -> str | None:
	"""The member holding this identity (the survivor if it was merged), or None."""
	member = frappe.db.get_value(
		IDENTITY, {"identity_key": identity_key(platform, app_id.strip(), external_id.strip())}, "member"
	)
	if not member:
		return None
	return frappe.db.get_value(MEMBER, member, "merged_into") or member


def bind_identity(member: str, platform: str, app_id: str, external_id: str) -> str:
	"""Give the member this identity (nothing changes if they hold it already); refused when another
	member holds it. Returns the Member Identity's name."""
	key = identity_key(platform, app_id.strip(), external_id.strip())
	if existing := frappe.db.get_value(IDENTITY, {"identity_key": key}, ["name", "member"], as_dict=True):
		if existing.member != member:
			frappe.throw(
				_("This {0} identity already belongs to member {1}").format(_(platform), existing.member),
				IdentityTakenError,
			)
		return existing.name
	identity = frappe.get_doc(
		{
			"doctype": IDENTITY,
			"member": member,
			"platform": platform,
			"app_id": app_id,
			"external_id": external_id,
		}
	)
	identity.insert(ignore_permissions=True)
	return identity.name


def member_identities(member: str) -> list[dict]:
	return frappe.get_all(
		IDENTITY,
		filters={"member": member},
		fields=["platform", "app_id", "external_id"],
		order_by="creation asc",
	)


def erase_identities(member: str) -> None:
	"""Erasure: the member's external identities are deleted (they identify the person)."""
	frappe.db.delete(IDENTITY, {"member": member})
