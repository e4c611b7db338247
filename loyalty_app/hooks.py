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

# v1 answers every error with its documented body, also those Frappe gives before an endpoint runs
after_request = ["loyalty_app.api.errors.shape_v1_errors"]

_invoice_events = {
	"before_validate": "loyalty_app.integrations.erpnext.invoice_before_validate",
	"on_submit": "loyalty_app.integrations.erpnext.invoice_on_submit",
	"on_cancel": "loyalty_app.integrations.erpnext.invoice_on_cancel",
}

doc_events = {
	"Sales Invoice": _invoice_events,
	"POS Invoice": _invoice_events,
	"Loyalty Member": {
		"validate": "loyalty_app.integrations.members.on_validate",
		"on_update": "loyalty_app.integrations.members.on_update",
		"on_change": "loyalty_app.trust.services.members.hide_unreadable_fields",
	},
	"Risk Alert": {"on_update": "loyalty_app.integrations.members.on_alert_decided"},
	"Personal Data Download Request": {
		"after_insert": "loyalty_app.trust.services.privacy.attach_export_to_download_request"
	},
	"Personal Data Deletion Request": {
		"on_update": "loyalty_app.trust.services.privacy.erase_on_deletion_request"
	},
	"Member Tier Change": {
		"after_insert": [
			"loyalty_app.engagement.services.welcome.on_tier_change",
			"loyalty_app.outreach.services.triggers.on_tier_change",
		]
	},
	"Reward Redemption": {
		"on_submit": "loyalty_app.outreach.services.triggers.on_reward_redeemed",
		"on_cancel": "loyalty_app.engagement.services.flash.on_redemption_cancelled",
	},
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
		"loyalty_app.outreach.services.triggers.queue_daily",
		"loyalty_app.outreach.services.events.refresh_recent_results",
		"loyalty_app.outreach.services.value.refresh_member_value",
	],
	"hourly": ["loyalty_app.outreach.services.triggers.queue_points_earned"],
	"cron": {
		"*/5 * * * *": [
			"loyalty_app.outreach.services.messages.deliver_due",
			"loyalty_app.outreach.services.sends.run_due_sends",
		]
	},
}

app_include_js = "/assets/loyalty_app/js/insight_filters.js"

doctype_js = {
	"Customer": "public/js/customer.js",
	"Loyalty Member": "public/js/member_guide.js",
	"Sales Person": "public/js/sales_person_guide.js",
}

# Checks every points posting passes (see loyalty.services.ledger.posting_allowed): the risk rules.
loyalty_posting_checks = ["loyalty_app.trust.services.risk.check_posting"]

# Link fields find members by code, name or the full mobile number typed, showing it masked.
standard_queries = {"Loyalty Member": "loyalty_app.trust.services.members.search_members"}

# A user whose only loyalty role is Shopping Guide sees the members they guide.
permission_query_conditions = {
	"Loyalty Member": "loyalty_app.channels.services.guides.member_query_condition"
}
has_permission = {"Loyalty Member": "loyalty_app.channels.services.guides.member_permission"}

# Frappe's Personal Data Download / Deletion Requests include the member linked to the user.
user_data_fields = [{"doctype": "Loyalty Member", "filter_by": "user", "partial": 1}]

page_js = {"point-of-sale": "public/js/pos_loyalty.js"}

portal_menu_items = [
	{"title": "My Membership", "route": "/my-membership", "reference_doctype": "Loyalty Member"}
]
