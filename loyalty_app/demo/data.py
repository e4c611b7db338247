"""Demo site: a Chinese retailer with one flagship store, stock, customers and a few sales.

Run with `bench --site <site> execute loyalty_app.demo.data.setup_demo_site`. Every step checks what
exists first, so a second run changes nothing.
"""

import frappe
from frappe.utils import add_days, getdate, nowdate

from loyalty_app.channels.services.guides import guide_new_member
from loyalty_app.community.services.groups import join
from loyalty_app.install import LOYALTY_MANAGER, LOYALTY_USER
from loyalty_app.loyalty.services.members import enrol
from loyalty_app.loyalty.services.sales import ensure_points_mode_of_payment
from loyalty_app.loyalty.services.tiers import ensure_tier
from loyalty_app.rewards.services.coupons import issue_to_segment

COMPANY = "Demo Retail"
ABBR = "DR"
STORE_WAREHOUSE = f"Flagship Store - {ABBR}"
POS_PROFILE = "Flagship Store"
PRICE_LIST = "Standard Selling"

ITEMS = (
	# item_code, item_name, price, opening qty, valuation rate
	("DEMO-TEA-JASMINE", "Jasmine Green Tea 茉莉绿茶 250g", 68, 200, 30),
	("DEMO-TEA-OOLONG", "Tieguanyin Oolong 铁观音 250g", 128, 150, 60),
	("DEMO-CUP-SET", "Porcelain Tea Cup Set 青花瓷茶具", 299, 40, 140),
	("DEMO-MOONCAKE", "Mooncake Gift Box 月饼礼盒", 188, 120, 90),
	("DEMO-GIFT-CARD", "Store Gift Card 礼品卡 ¥100", 100, 500, 100),
)

PRICES = {item_code: price for item_code, _name, price, _qty, _rate in ITEMS}

CUSTOMERS = (
	("Li Wei 李伟", "+8613800138001"),
	("Wang Fang 王芳", "+8613800138002"),
	("Zhang Min 张敏", "+8613800138003"),
	("Liu Yang 刘洋", "+8613800138004"),
	("Chen Jing 陈静", "+8613800138005"),
)

USERS = (
	(
		"manager@demo.local",
		"Mei",
		"Loyalty Manager",
		"Tea-Manager-2026",
		[LOYALTY_MANAGER, "Sales Manager", "Accounts User", "Stock User"],
	),
	(
		"clerk@demo.local",
		"Jun",
		"Store Clerk",
		"Tea-Clerk-2026",
		[LOYALTY_USER, "Sales User", "Accounts User"],
	),
)


TIERS = (
	# name, rank, entry threshold (points in 12 months), retention threshold, earn multiplier, gift points
	("Silver 银卡", 10, 500, 400, 1.0, 50),
	("Gold 金卡", 20, 2000, 1600, 1.5, 200),
	("Diamond 钻石", 30, 8000, 6500, 2.0, 800),
)


def setup_demo_site() -> None:
	complete_setup_wizard()
	create_store()
	create_items_with_stock()
	create_customers()
	create_users()
	create_loyalty_programme()
	enrol_demo_members()
	create_guide()
	create_pos_profile()
	create_demo_sales()
	create_rewards_and_campaigns()
	create_community()
	create_portal_login()
	speak_chinese()
	frappe.db.commit()  # nosemgrep: a bench execute command commits what it wrote


def complete_setup_wizard() -> None:
	if frappe.db.exists("Company", COMPANY):
		return
	from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

	year = getdate().year
	setup_complete(
		{
			"language": "English",
			"country": "China",
			"timezone": "Asia/Shanghai",
			"currency": "CNY",
			"full_name": "Demo Administrator",
			"email": "admin@demo.local",
			"password": frappe.conf.get("admin_password") or "admin",
			"company_name": COMPANY,
			"company_abbr": ABBR,
			"company_tagline": "Tea and gifts",
			"industry": "Retail",
			"chart_of_accounts": "Standard",
			"fy_start_date": f"{year}-01-01",
			"fy_end_date": f"{year}-12-31",
		}
	)


def create_store() -> None:
	if frappe.db.exists("Warehouse", STORE_WAREHOUSE):
		return
	frappe.get_doc(
		{
			"doctype": "Warehouse",
			"warehouse_name": "Flagship Store",
			"company": COMPANY,
			"parent_warehouse": f"All Warehouses - {ABBR}",
		}
	).insert()


def create_items_with_stock() -> None:
	receipt_rows = []
	for item_code, item_name, price, qty, valuation_rate in ITEMS:
		if frappe.db.exists("Item", item_code):
			continue
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item_code,
				"item_name": item_name,
				"item_group": "Products",
				"stock_uom": "Nos",
				"is_stock_item": 1,
				"valuation_rate": valuation_rate,
			}
		).insert()
		frappe.get_doc(
			{
				"doctype": "Item Price",
				"item_code": item_code,
				"price_list": PRICE_LIST,
				"price_list_rate": price,
			}
		).insert()
		receipt_rows.append(
			{"item_code": item_code, "qty": qty, "basic_rate": valuation_rate, "t_warehouse": STORE_WAREHOUSE}
		)
	if receipt_rows:
		frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": COMPANY,
				"posting_date": add_days(nowdate(), -60),
				"set_posting_time": 1,
				"items": receipt_rows,
			}
		).submit()


def create_customers() -> None:
	for customer_name, mobile_no in CUSTOMERS:
		if frappe.db.exists("Customer", customer_name):
			continue
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": customer_name,
				"customer_type": "Individual",
				"customer_group": "Individual",
				"territory": "All Territories",
				"mobile_no": mobile_no,
			}
		).insert()


def create_users() -> None:
	for email, first_name, last_name, password, roles in USERS:
		if frappe.db.exists("User", email):
			continue
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name,
				"last_name": last_name,
				"send_welcome_email": 0,
				"new_password": password,
			}
		)
		user.insert(ignore_permissions=True)
		user.add_roles(*roles)


def create_loyalty_programme() -> None:
	settings = frappe.get_single("Loyalty Settings")
	if settings.point_value == 0.01 and settings.points_per_currency_unit == 1:
		settings.point_value = 0.05  # 100 points pay ¥5
		settings.save()
	for tier in TIERS:
		ensure_tier(*tier)
	for rule in (
		{
			"rule_name": "Gift cards earn no points",
			"item_code": "DEMO-GIFT-CARD",
			"excludes": 1,
			"priority": 100,
		},
		{
			"rule_name": "Double points on tea",
			"item_group": "Products",
			"multiplier": 2,
			"priority": 10,
			"stackable": 1,
			"valid_from": add_days(nowdate(), -60),
			"valid_to": add_days(nowdate(), 30),
		},
	):
		if not frappe.db.exists("Earning Rule", rule["rule_name"]):
			frappe.get_doc({"doctype": "Earning Rule", **rule}).insert()


def enrol_demo_members() -> None:
	channels = ("Store", "Mini-program", "Store", "Web shop", "App")
	for (customer_name, mobile_no), channel in zip(CUSTOMERS, channels, strict=True):
		enrol(
			mobile_no,
			customer_name,
			customer=customer_name,
			channel=channel,
			home_store=STORE_WAREHOUSE,
			marketing_consent=1,
		)


GUIDE = "Xiao Wang 小王"
GUIDED_MEMBERS = 3


def create_guide() -> None:
	"""A shopping guide (导购) of the store, the exclusive guide of the first demo members."""
	if not frappe.db.exists("Sales Person", GUIDE):
		frappe.get_doc(
			{"doctype": "Sales Person", "sales_person_name": GUIDE, "parent_sales_person": "Sales Team"}
		).insert(ignore_permissions=True)
	for customer_name, _mobile in CUSTOMERS[:GUIDED_MEMBERS]:
		guide_new_member(frappe.db.get_value("Loyalty Member", {"customer": customer_name}), GUIDE)


# The retailer is Chinese: the site, the manager, the clerk and the member use Simplified Chinese;
# Administrator keeps English to show both.
ENGLISH_USER = "Administrator"


def speak_chinese() -> None:
	frappe.db.set_single_value("System Settings", "language", "zh")
	for email in [user[0] for user in USERS] + [PORTAL_USER[0]]:
		frappe.db.set_value("User", email, "language", "zh")
	frappe.db.set_value("User", ENGLISH_USER, "language", "en")
	frappe.clear_cache()


def create_pos_profile() -> None:
	if frappe.db.exists("POS Profile", POS_PROFILE):
		return
	points_mode_of_payment = ensure_points_mode_of_payment(COMPANY)
	cash_account = frappe.db.get_value("Company", COMPANY, "default_cash_account")
	mode_of_payment = frappe.get_doc("Mode of Payment", "Cash")
	if not any(row.company == COMPANY for row in mode_of_payment.accounts):
		mode_of_payment.append("accounts", {"company": COMPANY, "default_account": cash_account})
		mode_of_payment.save()
	frappe.get_doc(
		{
			"doctype": "POS Profile",
			"name": POS_PROFILE,
			"company": COMPANY,
			"warehouse": STORE_WAREHOUSE,
			"selling_price_list": PRICE_LIST,
			"currency": "CNY",
			"write_off_account": frappe.db.get_value("Company", COMPANY, "write_off_account"),
			"write_off_cost_center": frappe.db.get_value("Company", COMPANY, "cost_center"),
			"cost_center": frappe.db.get_value("Company", COMPANY, "cost_center"),
			"payments": [
				{"mode_of_payment": "Cash", "default": 1},
				{"mode_of_payment": points_mode_of_payment},
			],
			"applicable_for_users": [{"user": email, "default": 1} for email, *_ in USERS]
			+ [{"user": "Administrator", "default": 1}],
		}
	).insert()


def create_demo_sales() -> None:
	first_customer = CUSTOMERS[0][0]
	if frappe.db.exists("POS Invoice", {"customer": first_customer, "docstatus": 1}):
		return
	open_pos_session()
	baskets = (
		(CUSTOMERS[0][0], [("DEMO-TEA-JASMINE", 2), ("DEMO-CUP-SET", 1)]),
		(CUSTOMERS[1][0], [("DEMO-MOONCAKE", 3)]),
		(CUSTOMERS[2][0], [("DEMO-TEA-OOLONG", 1), ("DEMO-GIFT-CARD", 1)]),
	)
	for customer, lines in baskets:
		make_pos_invoice(customer, lines)
	for days_ago, (customer, lines) in (
		(20, (CUSTOMERS[3][0], [("DEMO-TEA-OOLONG", 2)])),
		(5, (CUSTOMERS[4][0], [("DEMO-CUP-SET", 1), ("DEMO-TEA-JASMINE", 1)])),
	):
		make_sales_invoice(customer, lines, posting_date=add_days(nowdate(), -days_ago))


def open_pos_session() -> None:
	if frappe.db.exists("POS Opening Entry", {"pos_profile": POS_PROFILE, "status": "Open", "docstatus": 1}):
		return
	frappe.get_doc(
		{
			"doctype": "POS Opening Entry",
			"pos_profile": POS_PROFILE,
			"company": COMPANY,
			"user": frappe.session.user,
			"period_start_date": frappe.utils.now_datetime(),
			"balance_details": [{"mode_of_payment": "Cash", "opening_amount": 500}],
		}
	).submit()


def make_pos_invoice(customer: str, lines: list[tuple[str, int]]) -> None:
	invoice = frappe.get_doc(
		{
			"doctype": "POS Invoice",
			"company": COMPANY,
			"customer": customer,
			"pos_profile": POS_PROFILE,
			"is_pos": 1,
			"update_stock": 1,
			"set_warehouse": STORE_WAREHOUSE,
			"items": [{"item_code": code, "qty": qty, "warehouse": STORE_WAREHOUSE} for code, qty in lines],
		}
	)
	invoice.set_missing_values()
	invoice.calculate_taxes_and_totals()
	invoice.append(
		"payments", {"mode_of_payment": "Cash", "amount": invoice.rounded_total or invoice.grand_total}
	)
	invoice.insert()
	invoice.submit()


def make_sales_invoice(customer: str, lines: list[tuple[str, int]], posting_date: str) -> None:
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": COMPANY,
			"customer": customer,
			"posting_date": posting_date,
			"set_posting_time": 1,
			"update_stock": 1,
			"set_warehouse": STORE_WAREHOUSE,
			"selling_price_list": PRICE_LIST,
			"items": [
				{"item_code": code, "qty": qty, "rate": PRICES[code], "warehouse": STORE_WAREHOUSE}
				for code, qty in lines
			],
		}
	)
	invoice.insert()
	invoice.submit()


def create_rewards_and_campaigns() -> None:
	if not frappe.db.exists("Coupon Campaign", "Member Day 10% Off"):
		frappe.get_doc(
			{
				"doctype": "Coupon Campaign",
				"campaign_name": "Member Day 10% Off",
				"company": COMPANY,
				"discount_type": "Percentage",
				"discount_value": 10,
				"minimum_spend": 100,
				"code_prefix": "MD",
				"per_member_limit": 1,
			}
		).insert()
		issue_to_segment("Member Day 10% Off")
	for reward in (
		{
			"reward_name": "Porcelain Cup Set for 1,000 points",
			"reward_type": "Stock Item",
			"points_cost": 1000,
			"item": "DEMO-CUP-SET",
			"source_warehouse": STORE_WAREHOUSE,
			"per_member_limit": 1,
		},
		{
			"reward_name": "Jasmine Tea for 300 points + ¥20",
			"reward_type": "Points + Cash",
			"points_cost": 300,
			"cash_amount": 20,
			"item": "DEMO-TEA-JASMINE",
			"source_warehouse": STORE_WAREHOUSE,
		},
		{
			"reward_name": "Member Day coupon for 100 points",
			"reward_type": "Coupon",
			"points_cost": 100,
			"coupon_campaign": "Member Day 10% Off",
		},
	):
		if not frappe.db.exists("Loyalty Reward", reward["reward_name"]):
			frappe.get_doc({"doctype": "Loyalty Reward", **reward}).insert()
	for campaign in (
		{"campaign_name": "Welcome 100", "campaign_type": "Sign-up Bonus", "bonus_points": 100},
		{"campaign_name": "Birthday 188", "campaign_type": "Birthday Bonus", "bonus_points": 188},
		{
			"campaign_name": "Bring a Friend",
			"campaign_type": "Referral Bonus",
			"bonus_points": 100,
			"referrer_points": 200,
			"budget_points": 100_000,
		},
	):
		if not frappe.db.exists("Points Campaign", campaign["campaign_name"]):
			frappe.get_doc({"doctype": "Points Campaign", **campaign}).insert()


def create_community() -> None:
	group = "Tea Lovers 茶友会"
	if not frappe.db.exists("Community Group", group):
		frappe.get_doc(
			{
				"doctype": "Community Group",
				"group_name": group,
				"group_type": "WeChat group",
				"store": STORE_WAREHOUSE,
				"owner_user": USERS[1][0],
				"description": "Tasting notes, new arrivals and member-day reminders.",
			}
		).insert()
	for member in frappe.get_all("Loyalty Member", pluck="name", limit=3):
		join(group, member)


PORTAL_USER = ("member@demo.local", "Tea-Member-2026")


def create_portal_login() -> None:
	"""The first demo member can log in to the website and see /my-membership."""
	email, password = PORTAL_USER
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "Li Wei",
				"user_type": "Website User",
				"send_welcome_email": 0,
				"new_password": password,
			}
		).insert(ignore_permissions=True)
	member = frappe.db.get_value("Loyalty Member", {"customer": CUSTOMERS[0][0]})
	if member and not frappe.db.get_value("Loyalty Member", member, "user"):
		frappe.db.set_value("Loyalty Member", member, "user", email)
