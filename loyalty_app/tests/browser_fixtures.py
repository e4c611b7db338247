"""Data for the browser test of the POS loyalty panel (tests/browser), made on the DEMO site.

`bench --site loyalty.localhost execute loyalty_app.tests.browser_fixtures.prepare --kwargs '{"path": "/tmp/x.json"}'`
opens a POS session for the store clerk (if none is open), tops member LM-00001 up to at least 500
points with a Points Adjustment, makes today a member day with a discount for every member, and writes the
member, its mobile number, customer, balance and that discount to `path`.
"""

import json

import frappe
from frappe.utils import getdate, now_datetime

from loyalty_app.demo.data import PORTAL_USER
from loyalty_app.utils import save_kept_document

CLERK = "clerk@demo.local"
MEMBER = "LM-00001"
MEMBER_DOCTYPE = "Loyalty Member"
POS_PROFILE = "Flagship Store"
MIN_POINTS = 500
MEMBER_DAY = "Browser Test Member Day"
MEMBER_DAY_DISCOUNT = 10


def ensure_opening_entry(user: str = CLERK, pos_profile: str = POS_PROFILE) -> str:
	open_entry = frappe.db.get_value(
		"POS Opening Entry", {"user": user, "pos_profile": pos_profile, "status": "Open", "docstatus": 1}
	)
	if not open_entry:
		open_entry = _open_session(user, pos_profile)
	return open_entry


def _open_session(user: str, pos_profile: str) -> str:
	profile = frappe.get_doc("POS Profile", pos_profile)
	if profile.get("applicable_for_users") and not any(
		row.user == user for row in profile.applicable_for_users
	):
		profile.append("applicable_for_users", {"user": user, "default": 0})
		profile.save(ignore_permissions=True)
	entry = frappe.get_doc(
		{
			"doctype": "POS Opening Entry",
			"pos_profile": pos_profile,
			"company": profile.company,
			"user": user,
			"period_start_date": now_datetime(),
			"balance_details": [{"mode_of_payment": "Cash", "opening_amount": 0}],
		}
	)
	entry.insert(ignore_permissions=True)
	entry.submit()
	return entry.name


def ensure_points(member: str = MEMBER, minimum: int = MIN_POINTS) -> int:
	redeemable = _redeemable(member)
	if redeemable < minimum:
		adjustment = frappe.get_doc(
			{
				"doctype": "Points Adjustment",
				"member": member,
				"points": minimum - redeemable + 100,
				"reason": "Browser test top-up",
			}
		)
		adjustment.insert(ignore_permissions=True)
		adjustment.submit()
	return _redeemable(member)


def _redeemable(member: str) -> int:
	from loyalty_app.loyalty.services.ledger import redeemable_points

	return redeemable_points(member)


def ensure_member_day_today(pos_profile: str = POS_PROFILE) -> None:
	"""Today (by day of the month) is a member day for every member: a discount and no extra points."""
	save_kept_document(
		"Member Day",
		frappe.db.exists("Member Day", MEMBER_DAY),
		{
			"day_name": MEMBER_DAY,
			"company": frappe.db.get_value("POS Profile", pos_profile, "company"),
			"repeats": "Day of month",
			"repeat_day": getdate().day,
			"points_multiplier": 1,
			"discount_percentage": MEMBER_DAY_DISCOUNT,
		},
	)


def prepare(path: str | None = None) -> dict:
	frappe.set_user("Administrator")
	# The demo speaks Chinese; the test reads the English texts, so its clerk works in English.
	frappe.db.set_value("User", CLERK, "language", "en")
	opening = ensure_opening_entry()
	ensure_points()
	ensure_member_day_today()
	m = frappe.db.get_value(
		MEMBER_DOCTYPE, MEMBER, ["name", "mobile_no", "customer", "points_balance", "user"], as_dict=True
	)
	assert m.user == PORTAL_USER[0], f"{MEMBER} is not the demo member's login"
	fixture = {
		"member": m.name,
		"mobile_no": m.mobile_no,
		"customer": m.customer,
		"points_balance": m.points_balance,
		"redeemable_points": _redeemable(MEMBER),
		"pos_opening_entry": opening,
		"point_value": float(frappe.db.get_single_value("Loyalty Settings", "point_value") or 0),
		"member_day_discount": MEMBER_DAY_DISCOUNT,
		# the member's own login, to show their member code as on their phone
		"member_login": {"usr": PORTAL_USER[0], "pwd": PORTAL_USER[1]},
	}
	frappe.db.commit()
	if path:
		with open(path, "w", encoding="utf-8") as f:
			json.dump(fixture, f, ensure_ascii=False)
	return fixture
