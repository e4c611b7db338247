"""Channels: members' external identities, WeChat mini-program login (against a local fake WeChat), the
member code shown at the till, and shopping guides credited on invoices."""

import json
import secrets
import time

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import today

from loyalty_app.api import pos, v1
from loyalty_app.channels import api as channels_api
from loyalty_app.channels.report.guide_performance.guide_performance import execute as guide_performance
from loyalty_app.channels.services import guides, identities, member_code
from loyalty_app.install import LOYALTY_INTEGRATION, LOYALTY_MANAGER, LOYALTY_USER, SHOPPING_GUIDE
from loyalty_app.tests.fake_wechat import BUSY, RATE_LIMITED, FakeWeChat
from loyalty_app.tests.utils import (
	TEA,
	as_user,
	company,
	make_invoice,
	make_member,
	make_user,
	programme,
	random_mobile,
)
from loyalty_app.trust.services import privacy

MEMBER = "Loyalty Member"
MINI = "WeChat mini-program"
UNIONID = "WeChat unionid"
APP_ID = "wx_lp_test_app"


def api_result(endpoint, **arguments):
	"""Call a v1 endpoint as Frappe would: (HTTP status, error, result)."""
	frappe.local.response = frappe._dict()
	result = endpoint(**arguments)
	return frappe.local.response.get("http_status_code", 200), frappe.local.response.get("error"), result


def openid() -> str:
	return "o" + secrets.token_urlsafe(20)


def make_guide(**values) -> str:
	name = f"_LP Guide {secrets.token_hex(3)}"
	frappe.get_doc(
		{"doctype": "Sales Person", "sales_person_name": name, "parent_sales_person": "Sales Team", **values}
	).insert(ignore_permissions=True)
	return name


class TestIdentities(FrappeTestCase):
	def setUp(self):
		self.integration = make_user("_lp_channels_api@example.com", LOYALTY_INTEGRATION)

	def test_an_identity_belongs_to_one_member_and_the_database_enforces_it(self):
		first, second, external = make_member(), make_member(), openid()
		identities.bind_identity(first, MINI, APP_ID, external)
		self.assertEqual(
			identities.bind_identity(first, MINI, APP_ID, external),
			identities.bind_identity(first, MINI, APP_ID, f" {external} "),
		)
		with self.assertRaises(identities.IdentityTakenError):
			identities.bind_identity(second, MINI, APP_ID, external)
		# the same openid under another mini-program is another identity
		identities.bind_identity(second, MINI, "wx_other_app", external)
		copy = frappe.get_doc(
			{
				"doctype": "Member Identity",
				"member": second,
				"platform": MINI,
				"app_id": APP_ID,
				"external_id": "x",
			}
		)
		copy.identity_key = identities.identity_key(MINI, APP_ID, external)
		with self.assertRaises(frappe.UniqueValidationError):
			copy.db_insert()
		self.assertEqual(identities.member_by_identity(MINI, APP_ID, external), first)
		self.assertEqual(identities.member_by_identity(MINI, "wx_other_app", external), second)

	def test_api_looks_up_and_enrols_by_identity(self):
		mobile, external, union = random_mobile(), openid(), openid()
		with as_user(self.integration):
			status, error, enrolled = api_result(
				v1.enrol,
				mobile_no=mobile,
				member_name="Identity Enrol",
				identities=[
					{"platform": MINI, "app_id": APP_ID, "external_id": external},
					{"platform": UNIONID, "app_id": APP_ID, "external_id": union},
				],
			)
			self.assertEqual((status, error), (201, None))
			frappe.db.commit()  # nosemgrep: refused API calls below roll back their transaction
			status, error, found = api_result(v1.member, platform=UNIONID, app_id=APP_ID, external_id=union)
			self.assertEqual((status, error, found["member"]), (200, None, enrolled["member"]))
			self.assertEqual(found["mobile_no"][-4:], mobile[-4:])
			self.assertNotEqual(found["mobile_no"], mobile)  # found by identity: the mobile stays masked
			status, error, _ = api_result(v1.member, platform=MINI, app_id=APP_ID, external_id=openid())
			self.assertEqual((status, error["code"]), (404, "member_not_found"))
			other_mobile = random_mobile()
			status, error, _ = api_result(
				v1.enrol,
				mobile_no=other_mobile,
				member_name="Identity Thief",
				identities=[{"platform": MINI, "app_id": APP_ID, "external_id": external}],
			)
		self.assertEqual((status, error["code"]), (409, "identity_taken"))
		self.assertFalse(frappe.db.exists(MEMBER, {"mobile_no": other_mobile}))
		self.assertEqual(identities.member_by_identity(MINI, APP_ID, external), enrolled["member"])

	def test_merge_moves_identities_to_the_survivor_and_erasure_deletes_them(self):
		duplicate, survivor, external = make_member(), make_member(), openid()
		identities.bind_identity(duplicate, MINI, APP_ID, external)
		identities.bind_identity(survivor, UNIONID, APP_ID, external)
		frappe.get_doc(
			{
				"doctype": "Member Merge",
				"duplicate_member": duplicate,
				"surviving_member": survivor,
				"reason": "same person, two phones",
			}
		).submit()
		self.assertEqual(identities.member_by_identity(MINI, APP_ID, external), survivor)
		self.assertEqual(len(identities.member_identities(survivor)), 2)
		self.assertEqual(identities.member_identities(duplicate), [])
		privacy.erase_member(survivor, "member asked")
		self.assertEqual(identities.member_identities(survivor), [])
		self.assertIsNone(identities.member_by_identity(MINI, APP_ID, external))


class TestWeChatLogin(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.secret = secrets.token_hex(16)
		cls.wechat = FakeWeChat(APP_ID, cls.secret)
		settings = frappe.get_single("Channel Settings")
		cls.before = {
			f: settings.get(f) for f in ("wechat_app_id", "wechat_api_base_url", "wechat_open_platform_id")
		}
		settings.update(
			{
				"wechat_app_id": APP_ID,
				"wechat_app_secret": cls.secret,
				"wechat_api_base_url": cls.wechat.base_url,
				"wechat_open_platform_id": None,
			}
		)
		settings.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: refused API calls roll back; the settings must stay

	@classmethod
	def tearDownClass(cls):
		cls.wechat.stop()
		settings = frappe.get_single("Channel Settings")
		settings.update({**cls.before, "wechat_app_secret": None})
		settings.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep
		super().tearDownClass()

	def setUp(self):
		self.integration = make_user("_lp_channels_api@example.com", LOYALTY_INTEGRATION)

	def login(self, code: str, **arguments):
		with as_user(self.integration):
			return api_result(v1.wechat_login, code=code, **arguments)

	def test_login_enrols_then_finds_the_same_member_and_never_shows_the_session_key(self):
		user, union, mobile = openid(), openid(), random_mobile()
		status, error, first = self.login(
			self.wechat.issue_code(user, union), mobile_no=mobile, member_name="WeChat User"
		)
		self.assertEqual((status, error), (201, None))
		self.assertEqual(first["mobile_no"], mobile)
		self.assertTrue(first["mobile_verified"])
		self.assertEqual(
			self.wechat.requests[-1] | {"js_code": "-"},
			{"appid": APP_ID, "secret": self.secret, "js_code": "-", "grant_type": "authorization_code"},
		)
		status, error, second = self.login(self.wechat.issue_code(user, union))
		self.assertEqual((status, error, second["member"]), (200, None, first["member"]))
		self.assertNotEqual(second["mobile_no"], mobile)  # no mobile given: masked
		self.assertEqual(
			{
				(row.platform, row.external_id)
				for row in map(frappe._dict, identities.member_identities(first["member"]))
			},
			{(MINI, user), (UNIONID, union)},
		)
		self.assertEqual(frappe.db.count(MEMBER, {"mobile_no": mobile}), 1)
		stored = json.dumps(frappe.get_all("Member Identity", fields=["*"]), default=str)
		for session_key in self.wechat.session_keys:
			self.assertNotIn(session_key, json.dumps(first) + json.dumps(second) + stored)

	def test_wechat_out_of_reach_is_429_and_the_app_secret_is_not_in_the_answer(self):
		frappe.db.set_single_value("Channel Settings", "wechat_api_base_url", "http://127.0.0.1:9")
		frappe.db.commit()  # nosemgrep: a refused API call rolls back its transaction
		try:
			status, error, _ = self.login(self.wechat.issue_code(openid()))
		finally:
			frappe.db.set_single_value("Channel Settings", "wechat_api_base_url", self.wechat.base_url)
			frappe.db.commit()  # nosemgrep
		self.assertEqual((status, error["code"]), (429, "wechat_busy"))
		self.assertNotIn(self.secret, error["message"])

	def test_the_unionid_finds_the_member_from_another_mini_program_login(self):
		member, union = make_member(), openid()
		identities.bind_identity(member, UNIONID, APP_ID, union)
		status, error, found = self.login(self.wechat.issue_code(openid(), union))
		self.assertEqual((status, error, found["member"]), (200, None, member))

	def test_an_unknown_user_without_mobile_and_wechat_errors_are_clear_4xx(self):
		frappe.db.commit()  # nosemgrep: a refused API call rolls back its transaction
		status, error, _ = self.login(self.wechat.issue_code(openid()))
		self.assertEqual((status, error["code"]), (404, "member_not_enrolled"))
		status, error, _ = self.login("no-such-code")
		self.assertEqual((status, error["code"]), (400, "wechat_login_failed"))
		self.assertIn("40029", error["message"])
		for errcode in (RATE_LIMITED, BUSY):
			status, error, _ = self.login(self.wechat.failing_code(errcode))
			self.assertEqual((status, error["code"]), (429, "wechat_busy"))
		code, mobile = self.wechat.issue_code(openid()), random_mobile()
		status, error, once = self.login(code, mobile_no=mobile)
		self.assertEqual((status, error, once["member_name"]), (201, None, "Mini-program member"))
		status, error, _ = self.login(code, mobile_no=random_mobile(), member_name="Twice")
		self.assertEqual((status, error["code"]), (400, "wechat_login_failed"))


class TestMemberCode(FrappeTestCase):
	def setUp(self):
		self.clerk = make_user("_lp_channels_clerk@example.com", LOYALTY_USER)

	def test_the_till_finds_the_member_by_their_code_once(self):
		mobile = random_mobile()
		member = make_member(mobile_no=mobile)
		code = member_code.issue_member_code(member)["code"]
		self.assertNotIn(mobile.removeprefix("+"), code)
		self.assertNotIn(mobile[-8:], code)
		with as_user(self.clerk):
			self.assertEqual(pos.lookup(code)["member"], member)
			with self.assertRaisesRegex(member_code.MemberCodeError, "already used"):
				pos.lookup(code)

	def test_expired_and_tampered_codes_are_refused(self):
		member, other = make_member(), make_member()
		expired = member_code.issue_member_code(member, now=time.time() - 3600)["code"]
		tampered = member_code.issue_member_code(member)["code"].replace(f".{member}.", f".{other}.")
		with as_user(self.clerk):
			with self.assertRaisesRegex(member_code.MemberCodeError, "expired"):
				pos.lookup(expired)
			with self.assertRaisesRegex(member_code.MemberCodeError, "not a valid member code"):
				pos.lookup(tampered)
			with self.assertRaisesRegex(member_code.MemberCodeError, "not a valid member code"):
				pos.lookup("LMC.garbage")

	def test_the_portal_shows_the_members_own_code_as_a_qr(self):
		user = make_user(f"_lp_code_{secrets.token_hex(3)}@example.com")
		member = make_member(user=user)
		with as_user(user):
			shown = channels_api.my_member_code()
		self.assertTrue(shown["svg"].startswith("<svg"))
		self.assertLessEqual(shown["expires_in"], 120)
		self.assertEqual(member_code.redeem_member_code(shown["code"]), member)
		with as_user("Guest"), self.assertRaises(frappe.PermissionError):
			channels_api.my_member_code()


class TestGuides(FrappeTestCase):
	def setUp(self):
		self.clerk = make_user("_lp_channels_clerk@example.com", LOYALTY_USER)
		self.manager = make_user("_lp_channels_manager@example.com", LOYALTY_MANAGER)

	def test_a_pos_invoice_credits_the_guide_and_the_report_shows_the_sale(self):
		guide = make_guide()
		with programme():
			with as_user(self.clerk):
				member = pos.enrol(random_mobile(), "Guided Member", shopping_guide=guide)["member"]
			invoice = make_invoice(member, [(TEA, 2, 150)], doctype="POS Invoice")
			second = make_invoice(member, [(TEA, 1, 100)])
		self.assertEqual(frappe.db.get_value(MEMBER, member, "shopping_guide"), guide)
		self.assertEqual(
			[
				(row.sales_person, row.allocated_percentage, row.allocated_amount)
				for row in invoice.sales_team
			],
			[(guide, 100, invoice.base_net_total)],
		)
		self.assertEqual(second.sales_team[0].sales_person, guide)
		earned = frappe.db.get_value(MEMBER, member, "lifetime_earned")
		_columns, rows = guide_performance({"from_date": today(), "to_date": today()})
		row = next(r for r in rows if r.guide == guide)
		self.assertEqual(
			(row.members, row.enrolled, row.active, row.repurchase_rate, row.sales, row.points_issued),
			(1, 1, 1, 100, invoice.base_net_total + second.base_net_total, earned),
		)
		self.assertGreater(earned, 0)

	def test_a_guide_who_left_is_not_credited(self):
		guide = make_guide()
		member = make_member()
		guides.guide_new_member(member, guide)
		frappe.db.set_value("Sales Person", guide, "enabled", 0)
		with programme():
			invoice = make_invoice(member, [(TEA, 1, 100)])
		self.assertEqual(invoice.sales_team, [])

	def test_reassignment_by_a_manager_keeps_the_history(self):
		first, second = make_guide(), make_guide()
		member = make_member()
		guides.guide_new_member(member, first)
		guides.guide_new_member(member, second)  # enrolling again does not take the member from their guide
		self.assertEqual(frappe.db.get_value(MEMBER, member, "shopping_guide"), first)
		with as_user(self.clerk), self.assertRaises(frappe.PermissionError):
			channels_api.reassign_guide(member, second, "clerk tries")
		with as_user(self.manager):
			with self.assertRaises(guides.GuideError):
				channels_api.reassign_guide(member, second, " ")
			channels_api.reassign_guide(member, second, "first guide left the store")
		history = frappe.get_all(
			"Guide Assignment",
			filters={"member": member},
			fields=["sales_person", "previous_sales_person", "assigned_via", "assigned_by", "reason"],
			order_by="creation asc",
		)
		self.assertEqual(
			[tuple(row.values()) for row in history],
			[
				(first, None, "Enrolment", "Administrator", None),
				(second, first, "Reassignment", self.manager, "first guide left the store"),
			],
		)
		self.assertEqual(frappe.db.get_value(MEMBER, member, "shopping_guide"), second)

	def test_a_group_or_disabled_sales_person_cannot_be_a_guide(self):
		member = make_member()
		disabled = make_guide(enabled=0)
		with self.assertRaises(guides.GuideError):
			guides.assign_guide(member, disabled, "Reassignment", "x")
		with self.assertRaises(guides.GuideError):
			guides.assign_guide(member, "Sales Team", "Reassignment", "x")
		self.assertIsNone(frappe.db.get_value(MEMBER, member, "shopping_guide"))

	def test_a_guide_lists_and_opens_only_their_own_members(self):
		user = make_user(f"_lp_guide_{secrets.token_hex(3)}@example.com", SHOPPING_GUIDE)
		employee = frappe.get_doc(
			{
				"doctype": "Employee",
				"first_name": "Guide",
				"gender": "Female",
				"date_of_birth": "1995-05-05",
				"date_of_joining": "2024-01-01",
				"company": company(),
				"user_id": user,
			}
		).insert(ignore_permissions=True)
		own, others = make_guide(employee=employee.name), make_guide()
		mine, not_mine, unguided = make_member(), make_member(), make_member()
		guides.guide_new_member(mine, own)
		guides.guide_new_member(not_mine, others)
		with as_user(user):
			listed = set(frappe.get_list(MEMBER, pluck="name", limit=0))
			self.assertTrue(frappe.has_permission(MEMBER, doc=frappe.get_doc(MEMBER, mine)))
			self.assertFalse(frappe.has_permission(MEMBER, doc=frappe.get_doc(MEMBER, not_mine)))
		self.assertEqual(listed, {mine})
		with as_user(self.clerk):
			self.assertTrue({mine, not_mine, unguided} <= set(frappe.get_list(MEMBER, pluck="name", limit=0)))

	def test_a_guides_qr_code_opens_the_enrolment_link_carrying_the_guide(self):
		guide = make_guide()
		frappe.db.set_single_value("Channel Settings", "guide_link", "")
		with self.assertRaises(guides.GuideError):
			channels_api.guide_qr_code(guide)
		frappe.db.set_single_value("Channel Settings", "guide_link", "pages/join/join?guide={guide}")
		shown = channels_api.guide_qr_code(guide)
		self.assertEqual(shown["link"], "pages/join/join?guide=" + guide.replace(" ", "%20"))
		self.assertTrue(shown["svg"].startswith("<svg"))
		with self.assertRaises(guides.GuideError):
			channels_api.guide_qr_code("Sales Team")
