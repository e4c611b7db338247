import frappe
from erpnext.setup.utils import before_tests as erpnext_before_tests

from loyalty_app.install import create_roles


def before_tests() -> None:
	"""Frappe runs only the tested app's before_tests, so complete ERPNext's test setup here too."""
	erpnext_before_tests()
	create_roles()
	frappe.db.commit()  # nosemgrep: the test runner expects the setup committed before tests run
