app_name = "loyalty_app"
app_title = "Loyalty"
app_publisher = "loyalty_app contributors"
app_description = "Membership and loyalty for retailers on ERPNext"
app_email = "loyalty@example.com"
app_license = "gpl-3.0"

required_apps = ["erpnext"]

add_to_apps_screen = [
	{
		"name": "loyalty_app",
		"logo": "/assets/loyalty_app/images/loyalty.svg",
		"title": "Loyalty",
		"route": "/app/loyalty",
		"has_permission": "loyalty_app.install.has_app_permission",
	}
]

after_install = "loyalty_app.install.after_install"
after_migrate = "loyalty_app.install.after_migrate"

before_tests = "loyalty_app.tests.bootstrap.before_tests"
