"""Data for the HTTP tests (tests/http), made on the test site before the server is started.

`bench --site <site> execute loyalty_app.tests.http_fixtures.prepare --kwargs '{"path": "..."}'` writes the
API users' keys and the ids of what it made to a JSON file the HTTP tests read.
"""

import json

import frappe
from frappe.utils import add_to_date, now_datetime

from loyalty_app.community.services.groups import join
from loyalty_app.install import LOYALTY_INTEGRATION, LOYALTY_MANAGER, LOYALTY_USER
from loyalty_app.rewards.services.coupons import issue_code
from loyalty_app.tests.test_coupons_and_campaigns import make_campaign
from loyalty_app.tests.utils import (
	TEA,
	company,
	make_existing_customer,
	make_invoice,
	make_member,
	make_user,
	programme,
	random_mobile,
)


def api_user(email: str, *roles: str) -> dict:
	user = frappe.get_doc("User", make_user(email, *roles))
	secret = frappe.generate_hash(length=15)
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	return {"user": email, "token": f"{user.api_key}:{secret}"}


PASSWORD = "Loyalty-Portal-2026!"
# Blocks any earn that takes a member over 100,000 points in a day (no other HTTP test comes near).
VELOCITY_RULE = "_LP HTTP Earning Velocity"


def portal_user(email: str, member: str, language: str = "en") -> dict:
	"""A website user (no desk roles) linked to the member as its portal login."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"user_type": "Website User",
				"send_welcome_email": 0,
				"language": language,
				"new_password": PASSWORD,
			}
		).insert(ignore_permissions=True)
	frappe.db.sql("update `tabLoyalty Member` set user = null where user = %s", email)
	frappe.db.set_value("Loyalty Member", member, "user", email)
	return {"user": email, "password": PASSWORD, "member": member}


def desk_user_in_chinese(email: str) -> dict:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "Manager",
				"send_welcome_email": 0,
				"language": "zh",
				"new_password": PASSWORD,
			}
		).insert(ignore_permissions=True)
		user.add_roles(LOYALTY_MANAGER)
	return {"user": email, "password": PASSWORD}


WEBHOOK_RECEIVER = "http://127.0.0.1:8019/loyalty-events"


def earn_webhook() -> str:
	"""A standard Frappe Webhook that posts every Earn ledger entry to the HTTP test's receiver."""
	name = "_LP earned points to the test receiver"
	if not frappe.db.exists("Webhook", {"name": name}):
		frappe.get_doc(
			{
				"doctype": "Webhook",
				"__newname": name,
				"webhook_doctype": "Points Ledger Entry",
				"webhook_docevent": "after_insert",
				"condition": "doc.entry_type == 'Earn'",
				"request_url": WEBHOOK_RECEIVER,
				"request_method": "POST",
				"request_structure": "JSON",
				"webhook_json": '{"member": "{{ doc.member }}", "entry_type": "{{ doc.entry_type }}", '
				'"points": {{ doc.points }}, "voucher_no": "{{ doc.voucher_no }}"}',
				"enabled": 1,
			}
		).insert(ignore_permissions=True)
	return WEBHOOK_RECEIVER


def existing_customers() -> dict:
	"""Customers the retailer had before the app: one with a mobile number, two sharing another."""
	single, shared = random_mobile(), random_mobile()
	return {
		"single_mobile": single,
		"single_customer": make_existing_customer("_LP HTTP Regular", single.replace("+86", "")),
		"shared_mobile": shared,
		"shared_customers": [make_existing_customer(f"_LP HTTP Twin {x}", shared) for x in "AB"],
	}


def fuzz_targets(company_name: str) -> dict:
	"""What schemathesis's valid examples use, so every v1 operation also runs its success path: a member
	with points in a group, a cheap reward, a lottery, a flash sale and a roomy event."""
	member = make_member(member_name="HTTP Fuzz", marketing_consent=1)
	make_invoice(member, [(TEA, 1, 20_000)])  # under the HTTP velocity rule's 100,000 a day
	group = "_LP HTTP Fuzz Group"
	if not frappe.db.exists("Community Group", group):
		frappe.get_doc({"doctype": "Community Group", "group_name": group}).insert()
	join(group, member)
	reward = "_LP HTTP Fuzz Reward"
	if not frappe.db.exists("Loyalty Reward", reward):
		frappe.get_doc(
			{"doctype": "Loyalty Reward", "reward_name": reward, "reward_type": "Service", "points_cost": 1}
		).insert()
	window = {
		"starts_at": add_to_date(now_datetime(), hours=-1),
		"ends_at": add_to_date(now_datetime(), days=2),
	}
	lottery = frappe.get_doc(
		{
			"doctype": "Points Lottery",
			"lottery_name": f"_LP HTTP Fuzz Lottery {frappe.generate_hash(length=6)}",
			"points_per_entry": 1,
			"no_win_weight": 1,
			"prizes": [{"prize_label": "One point", "prize_type": "Points", "points": 1, "weight": 1}],
			**window,
		}
	).insert()
	sale = frappe.get_doc(
		{
			"doctype": "Flash Sale",
			"sale_name": f"_LP HTTP Fuzz Sale {frappe.generate_hash(length=6)}",
			"reward": reward,
			"quantity": 100_000,
			"per_member_limit": 0,
			**window,
		}
	).insert()
	event = frappe.get_doc(
		{
			"doctype": "Member Event",
			"event_name": "_LP HTTP Fuzz Open Day",
			"company": company_name,
			"status": "Open",
			"starts_on": add_to_date(now_datetime(), hours=-1),
			"ends_on": add_to_date(now_datetime(), days=2),
			"venue_type": "Store",
			"capacity": 100_000,
		}
	).insert()
	return {
		"member": member,
		"group": group,
		"reward": reward,
		"lottery": lottery.name,
		"flash_sale": sale.name,
		"event": event.name,
		"coupon": issue_code(make_campaign("_LP HTTP Fuzz Coupons"), member),
	}


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
		event = frappe.get_doc(
			{
				"doctype": "Member Event",
				"event_name": "_LP HTTP Tasting",
				"company": company(),
				"status": "Open",
				"starts_on": add_to_date(now_datetime(), hours=-1),
				"ends_on": add_to_date(now_datetime(), hours=2),
				"venue_type": "Store",
				"capacity": 1,
				"attendance_points": 20,
			}
		).insert()
		if not frappe.db.exists("Risk Rule", VELOCITY_RULE):
			frappe.get_doc(
				{
					"doctype": "Risk Rule",
					"rule_name": VELOCITY_RULE,
					"rule_type": "Earning velocity",
					"enabled": 1,
					"action": "Block",
					"severity": "High",
					"window_hours": 24,
					"max_points": 100_000,
				}
			).insert()
		portal = {
			"member_a": portal_user("member-a@loyalty.test", rich, language="zh"),
			"member_b": portal_user("member-b@loyalty.test", poor),
		}
		fixture = {
			**portal,
			"webhook_receiver": earn_webhook(),
			"desk_zh": desk_user_in_chinese("manager-zh@loyalty.test"),
			"integration": api_user("api@loyalty.test", LOYALTY_INTEGRATION),
			"clerk": api_user("clerk-api@loyalty.test", LOYALTY_USER),
			"rich": rich,
			"rich_mobile": frappe.db.get_value("Loyalty Member", rich, "mobile_no"),
			"poor": poor,
			"rich_coupon": rich_coupon,
			"reward": reward,
			"group": group,
			"event": event.name,
			"manager": api_user("manager-api@loyalty.test", LOYALTY_MANAGER),
			"system_manager": api_user("system-api@loyalty.test", "System Manager"),
			"guide": api_user("guide-api@loyalty.test", "Shopping Guide"),
			"velocity_rule": VELOCITY_RULE,
			"existing": existing_customers(),
			"fuzz": fuzz_targets(company()),
		}
	frappe.db.commit()  # nosemgrep: the server process must see this data
	with open(path, "w") as f:
		json.dump(fixture, f)
