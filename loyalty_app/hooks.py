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

before_install = "loyalty_app.install.before_install"
after_install = "loyalty_app.install.after_install"
after_migrate = "loyalty_app.install.after_migrate"
before_uninstall = "loyalty_app.install.before_uninstall"

before_tests = "loyalty_app.tests.bootstrap.before_tests"

_invoice_events = {
	"before_validate": "loyalty_app.integrations.erpnext.invoice_before_validate",
	"on_submit": "loyalty_app.integrations.erpnext.invoice_on_submit",
	"on_cancel": "loyalty_app.integrations.erpnext.invoice_on_cancel",
}

doc_events = {
	"Sales Invoice": _invoice_events,
	"POS Invoice": _invoice_events,
}

scheduler_events = {
	"daily_long": [
		"loyalty_app.loyalty.services.expiry.expire_points",
		"loyalty_app.loyalty.services.tiers.review_tiers",
		"loyalty_app.loyalty.services.expiry.refresh_expiry_reminders",
		"loyalty_app.rewards.services.campaigns.post_birthday_bonuses",
		"loyalty_app.insight.services.lifecycle.refresh_stages",
		"loyalty_app.insight.services.rfm.refresh_rfm",
		"loyalty_app.insight.services.accounting.post_points_liability",
	],
}

doctype_js = {"Customer": "public/js/customer.js"}

page_js = {"point-of-sale": "public/js/pos_loyalty.js"}

portal_menu_items = [
	{"title": "My Membership", "route": "/my-membership", "reference_doctype": "Loyalty Member"}
]
