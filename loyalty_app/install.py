import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from loyalty_app.outreach.services.defaults import ensure_default_templates

LOYALTY_MANAGER = "Loyalty Manager"
LOYALTY_USER = "Loyalty User"
LOYALTY_INTEGRATION = "Loyalty Integration"
SHOPPING_GUIDE = "Shopping Guide"
LOYALTY_ROLES = (LOYALTY_MANAGER, LOYALTY_USER, LOYALTY_INTEGRATION, SHOPPING_GUIDE)
POINTS_MODE_OF_PAYMENT = "Loyalty Points"
CHANNELS = "Store\nMini-program\nApp\nWeb shop\nReferral\nOther"


def before_install() -> None:
	# Frappe saves Loyalty Settings with its defaults before after_install runs; one links to this.
	create_points_mode_of_payment()


def after_install() -> None:
	create_roles()
	sync_custom_fields()
	let_clerks_run_a_till()
	ensure_default_templates()


def after_migrate() -> None:
	create_roles()
	sync_custom_fields()
	let_clerks_run_a_till()
	ensure_default_templates()


def before_uninstall() -> None:
	for doctype, fields in custom_fields().items():
		for field in fields:
			frappe.db.delete("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})


def create_roles() -> None:
	for role_name in LOYALTY_ROLES:
		if not frappe.db.exists("Role", role_name):
			frappe.get_doc({"doctype": "Role", "role_name": role_name, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def custom_fields() -> dict[str, list[dict]]:
	def fields(with_channel: bool) -> list[dict]:
		return [
			{
				"fieldname": "loyalty_app_section",
				"fieldtype": "Section Break",
				"label": "Member Loyalty",
				"insert_after": "loyalty_redemption_cost_center",
				"collapsible": 1,
			},
			{
				"fieldname": "loyalty_member",
				"fieldtype": "Link",
				"options": "Loyalty Member",
				"label": "Loyalty Member",
				"read_only": 1,
				"insert_after": "loyalty_app_section",
			},
			*(
				[
					{
						"fieldname": "loyalty_channel",
						"fieldtype": "Select",
						"options": CHANNELS,
						"default": "Store",
						"label": "Loyalty Channel",
						"insert_after": "loyalty_member",
					}
				]
				if with_channel
				else []
			),
			{
				"fieldname": "loyalty_app_column",
				"fieldtype": "Column Break",
				"insert_after": "loyalty_channel" if with_channel else "loyalty_member",
			},
			{
				"fieldname": "loyalty_points_redeemed",
				"fieldtype": "Int",
				"label": "Points Redeemed",
				"non_negative": 1,
				"no_copy": 1,
				"insert_after": "loyalty_app_column",
				"description": "Points the member pays with; the Loyalty Points payment row is set to their value.",
			},
			{
				"fieldname": "loyalty_points_earned",
				"fieldtype": "Int",
				"label": "Points Earned",
				"read_only": 1,
				"no_copy": 1,
				"allow_on_submit": 1,
				"insert_after": "loyalty_points_redeemed",
			},
			{
				"fieldname": "loyalty_member_days",
				"fieldtype": "Small Text",
				"label": "Member Days",
				"read_only": 1,
				"hidden": 1,
				"no_copy": 1,
				"insert_after": "loyalty_points_earned",
				"description": "The member days that apply to this invoice; their Pricing Rules check it.",
			},
		]

	coupon_fields = [
		{
			"fieldname": "coupon_campaign",
			"fieldtype": "Link",
			"options": "Coupon Campaign",
			"label": "Coupon Campaign",
			"read_only": 1,
			"search_index": 1,
			"insert_after": "pricing_rule",
		},
		{
			"fieldname": "loyalty_member",
			"fieldtype": "Link",
			"options": "Loyalty Member",
			"label": "Loyalty Member",
			"read_only": 1,
			"search_index": 1,
			"insert_after": "coupon_campaign",
		},
	]
	return {
		"Sales Invoice": fields(with_channel=True),
		"POS Invoice": fields(with_channel=False),
		"Coupon Code": coupon_fields,
	}


def sync_custom_fields() -> None:
	create_custom_fields(custom_fields(), ignore_validate=True)


def create_points_mode_of_payment() -> None:
	if not frappe.db.exists("Mode of Payment", POINTS_MODE_OF_PAYMENT):
		frappe.get_doc(
			{"doctype": "Mode of Payment", "mode_of_payment": POINTS_MODE_OF_PAYMENT, "type": "General"}
		).insert(ignore_permissions=True)


TILL_DOCTYPES = ("POS Opening Entry", "POS Closing Entry")


def let_clerks_run_a_till() -> None:
	"""ERPNext lets only Sales and System Managers open and close a POS session; our store clerk role
	(Loyalty User) gets the same on those two DocTypes, so a clerk needs no manager role to work a till."""
	from frappe.permissions import add_permission, update_permission_property

	for doctype in TILL_DOCTYPES:
		if not frappe.db.exists("Custom DocPerm", {"parent": doctype, "role": LOYALTY_USER, "permlevel": 0}):
			add_permission(doctype, LOYALTY_USER, 0)
		for ptype in ("read", "create", "write", "submit"):
			update_permission_property(doctype, LOYALTY_USER, 0, ptype, 1, validate=False)


def has_app_permission() -> bool:
	return bool(set(frappe.get_roles()) & {"System Manager", *LOYALTY_ROLES})
