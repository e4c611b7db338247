"""Data for the HTTP tests (tests/http), made on the test site before the server is started.

`bench --site <site> execute loyalty_app.tests.http_fixtures.prepare --kwargs '{"path": "..."}'` writes the
API users' keys and the ids of what it made to a JSON file the HTTP tests read.
"""

import json

import frappe

from loyalty_app.install import LOYALTY_INTEGRATION, LOYALTY_USER
from loyalty_app.rewards.services.coupons import issue_code
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign
from loyalty_app.tests.utils import TEA, make_invoice, make_member, programme


def api_user(email: str, *roles: str) -> dict:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
		user.add_roles(*roles)
	user = frappe.get_doc("User", email)
	secret = frappe.generate_hash(length=15)
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	return {"user": email, "token": f"{user.api_key}:{secret}"}


def prepare(path: str) -> None:
	frappe.set_user("Administrator")
	with programme(point_value=0.1):
		rich = make_member(member_name="HTTP Rich", marketing_consent=1)
		make_invoice(rich, [(TEA, 1, 1000)])
		poor = make_member(member_name="HTTP Poor")
		campaign = make_campaign("_LP HTTP Coupons")
		rich_coupon = issue_code(campaign, rich)
		reward = "_LP HTTP Coupon Reward"
		if not frappe.db.exists("Loyalty Reward", reward):
			frappe.get_doc(
				{
					"doctype": "Loyalty Reward",
					"reward_name": reward,
					"reward_type": "Coupon",
					"points_cost": 100,
					"coupon_campaign": campaign,
				}
			).insert()
		group = "_LP HTTP Group"
		if not frappe.db.exists("Community Group", group):
			frappe.get_doc({"doctype": "Community Group", "group_name": group}).insert()
		fixture = {
			"integration": api_user("api@loyalty.test", LOYALTY_INTEGRATION),
			"clerk": api_user("clerk-api@loyalty.test", LOYALTY_USER),
			"rich": rich,
			"rich_mobile": frappe.db.get_value("Loyalty Member", rich, "mobile_no"),
			"poor": poor,
			"rich_coupon": rich_coupon,
			"reward": reward,
			"group": group,
		}
	frappe.db.commit()  # nosemgrep: the server process must see this data
	with open(path, "w") as f:
		json.dump(fixture, f)
