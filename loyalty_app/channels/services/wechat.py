"""WeChat mini-program login: the code from `wx.login` is exchanged at WeChat's jscode2session for the
user's openid (and unionid when the mini-program is bound to an open platform account); the member holding
that identity is found, or enrolled with the verified mobile number the integrator sends. The session key
WeChat returns is neither stored nor returned."""

import frappe
import requests
from frappe import _

from loyalty_app.channels.services.identities import bind_identity, member_by_identity
from loyalty_app.loyalty.services.members import enrol as enrol_member
from loyalty_app.loyalty.services.members import member_by_mobile
from loyalty_app.trust.services.members import mark_mobile_verified

SETTINGS = "Channel Settings"
MINI_PROGRAM = "WeChat mini-program"
UNIONID = "WeChat unionid"
# Documented jscode2session errors that the user can fix by logging in again; the rest are WeChat's side.
RETRY_LOGIN = {40029, 40163}  # invalid code, code already used
RATE_LIMITED = {45011, -1}  # too frequent, system busy


class WeChatNotConfiguredError(frappe.ValidationError):
	pass


class WeChatLoginError(frappe.ValidationError):
	def __init__(self, errcode: int, errmsg: str) -> None:
		self.errcode = errcode
		super().__init__(_("WeChat refused the login ({0}: {1})").format(errcode, errmsg))


class WeChatBusyError(WeChatLoginError):
	pass


class MemberNotEnrolledError(frappe.DoesNotExistError):
	pass


def mini_program_settings() -> frappe._dict:
	settings = frappe.get_cached_doc(SETTINGS)
	secret = settings.get_password("wechat_app_secret", raise_exception=False)
	if not settings.wechat_app_id or not secret:
		frappe.throw(
			_("Set the mini-program App ID and App Secret in Channel Settings"), WeChatNotConfiguredError
		)
	return frappe._dict(
		app_id=settings.wechat_app_id,
		secret=secret,
		open_platform_id=settings.wechat_open_platform_id or settings.wechat_app_id,
		base_url=(settings.wechat_api_base_url or "https://api.weixin.qq.com").rstrip("/"),
	)


def code_to_session(code: str) -> dict:
	"""jscode2session: the openid and unionid (or None) for a `wx.login` code, with the accounts they belong
	to; WeChat's errors raise WeChatLoginError."""
	settings = mini_program_settings()
	try:
		response = requests.get(
			f"{settings.base_url}/sns/jscode2session",
			params={
				"appid": settings.app_id,
				"secret": settings.secret,
				"js_code": code,
				"grant_type": "authorization_code",
			},
			timeout=10,
		)
		body = response.json()
	except (requests.RequestException, ValueError) as e:
		# Not str(e): a connection error quotes the URL, and with it the app secret.
		raise WeChatBusyError(-1, type(e).__name__) from None
	errcode = int(body.get("errcode") or 0)
	if errcode:
		error = WeChatBusyError if errcode in RATE_LIMITED else WeChatLoginError
		raise error(errcode, body.get("errmsg") or "")
	if not body.get("openid"):
		raise WeChatBusyError(-1, "no openid")
	return frappe._dict(
		app_id=settings.app_id,
		openid=body["openid"],
		open_platform_id=settings.open_platform_id,
		unionid=body.get("unionid"),
	)


def login(code: str, mobile_no: str | None = None, member_name: str | None = None) -> tuple[str, bool]:
	"""The member for this `wx.login` code and whether they were enrolled now. Found by openid, then
	unionid, then the mobile number WeChat verified (marked verified); enrolled with it when no member
	has it. The user's openid and unionid are bound to the member."""
	session = code_to_session(code)
	member = member_by_identity(MINI_PROGRAM, session.app_id, session.openid)
	if not member and session.unionid:
		member = member_by_identity(UNIONID, session.open_platform_id, session.unionid)
	enrolled = False
	if not member and mobile_no:
		member = member_by_mobile(mobile_no)
		if not member:
			enrolled = True
			member = enrol_member(
				mobile_no,
				member_name or _("Mini-program member"),
				ignore_permissions=True,
				channel="Mini-program",
			).name
		mark_mobile_verified(member, "Mini-program")
	if not member:
		frappe.throw(
			_("No member for this WeChat user yet: send the verified mobile number to enrol"),
			MemberNotEnrolledError,
		)
	bind_identity(member, MINI_PROGRAM, session.app_id, session.openid)
	if session.unionid:
		bind_identity(member, UNIONID, session.open_platform_id, session.unionid)
	return member, enrolled
