import frappe

LOYALTY_MANAGER = "Loyalty Manager"
LOYALTY_USER = "Loyalty User"
LOYALTY_ROLES = (LOYALTY_MANAGER, LOYALTY_USER)


def after_install() -> None:
	create_roles()


def after_migrate() -> None:
	create_roles()


def create_roles() -> None:
	for role_name in LOYALTY_ROLES:
		if not frappe.db.exists("Role", role_name):
			frappe.get_doc({"doctype": "Role", "role_name": role_name, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def has_app_permission() -> bool:
	return bool(set(frappe.get_roles()) & {"System Manager", *LOYALTY_ROLES})
