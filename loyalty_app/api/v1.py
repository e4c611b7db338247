"""REST API v1 for integrators (mini-programs, web shops, apps).

Every endpoint is `/api/method/loyalty_app.api.v1.<name>`: writes are POST, reads GET. Arguments are
validated against the request models below, which also make the OpenAPI document (api/openapi.json,
served by `openapi`). Success returns `{"message": <result>}`; an error returns
`{"error": {"code": "...", "message": "..."}}` with a 4xx status (400 bad input, 403 no permission,
404 unknown member or object, 409 conflict) after rolling back, so a refused call changes nothing.
Callers authenticate with `Authorization: token <api_key>:<api_secret>` as a user with the
"Loyalty Integration" role. Earn and redeem are idempotent by the caller's order id / key: a replay
returns the first result, the same key with different content is a 409.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import frappe
from frappe import _
from frappe.utils import get_datetime, getdate, now_datetime, strip_html
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loyalty_app.channels.services import wechat
from loyalty_app.channels.services.guides import GuideError, guide_new_member
from loyalty_app.channels.services.identities import (
	PLATFORMS,
	IdentityTakenError,
	bind_identity,
	member_by_identity,
)
from loyalty_app.community.services.groups import JoinRefusedError
from loyalty_app.engagement.services import feedback, flash, lottery
from loyalty_app.engine.rules import Line
from loyalty_app.integrations import purchases
from loyalty_app.loyalty.services import sales
from loyalty_app.loyalty.services.ledger import (
	InsufficientPointsError,
	MemberNotActiveError,
	PointsShortfallError,
	Voucher,
	debit,
	lock_member,
	redeemable_points,
	reverse_caused_by,
)
from loyalty_app.loyalty.services.members import (
	CustomerChoiceNeededError,
	InvalidMobileError,
	customer_for_mobile,
	member_by_mobile,
	mobile_in,
)
from loyalty_app.loyalty.services.members import enrol as enrol_member
from loyalty_app.loyalty.services.settings import get_settings
from loyalty_app.loyalty.services.tiers import all_tiers, qualifying_value
from loyalty_app.outreach.services import events
from loyalty_app.rewards.services.coupons import CouponNotAllowedError
from loyalty_app.rewards.services.redemption import RewardUnavailableError, can_take
from loyalty_app.trust.services.consent import set_consent
from loyalty_app.trust.services.members import mark_mobile_verified, visible_mobile
from loyalty_app.trust.services.risk import (
	HeldForApprovalError,
	MobileNotVerifiedError,
	RiskBlockedError,
	channel_signals,
)
from loyalty_app.utils import end_if_nothing_written, lock_row

INTEGRATION_ROLES = {"Loyalty Integration", "Loyalty Manager", "System Manager"}
MEMBER = "Loyalty Member"
EXTERNAL = "External Transaction"

Channel = Literal["Store", "Mini-program", "App", "Web shop", "Referral", "Other"]
Platform = Literal[PLATFORMS]
Key = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[\w.:/-]+$")]
MemberId = Annotated[str, Field(min_length=1, max_length=140)]
Money = Annotated[Decimal, Field(ge=0, le=10**9, max_digits=14, decimal_places=2)]


class ApiError(Exception):
	def __init__(self, status: int, code: str, message: str) -> None:
		super().__init__(message)
		self.status, self.code, self.message = status, code, message


class Request(BaseModel):
	model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Identity(Request):
	platform: Platform
	app_id: str = Field(min_length=1, max_length=64, description="The mini-program, account, corp or app.")
	external_id: str = Field(min_length=1, max_length=128, description="openid, unionid, external_userid...")


class EnrolRequest(Request):
	mobile_no: str = Field(min_length=5, max_length=32, description="Any common format; stored as E.164.")
	member_name: str = Field(min_length=1, max_length=140)
	channel: Channel = "Mini-program"
	email: str | None = Field(None, max_length=140)
	birthday: date | None = None
	marketing_consent: bool = False
	data_processing_consent: bool = False
	consent_text_version: str | None = Field(
		None, max_length=140, description="The version of the consent wording the member agreed to."
	)
	referral_code: str | None = Field(
		None, max_length=20, description="The referring member's referral code."
	)
	device_id: str | None = Field(None, max_length=200, description="For the risk rules; stored hashed.")
	address: str | None = Field(None, max_length=500, description="For the risk rules; stored hashed.")
	identities: list[Identity] | None = Field(
		None, max_length=5, description="External identities to bind (refused if another member holds one)."
	)
	shopping_guide: str | None = Field(
		None,
		max_length=140,
		description="The member's guide (a Sales Person), e.g. from the guide's QR code.",
	)
	customer: str | None = Field(
		None,
		max_length=140,
		description="The existing ERPNext Customer to link when more than one has this mobile number "
		"(a 409 customer_choice_needed lists them).",
	)


class MemberQuery(Request):
	member: MemberId | None = None
	mobile_no: str | None = Field(None, min_length=5, max_length=32)
	platform: Platform | None = Field(None, description="With app_id and external_id: find by identity.")
	app_id: str | None = Field(None, min_length=1, max_length=64)
	external_id: str | None = Field(None, min_length=1, max_length=128)


class WeChatLoginRequest(Request):
	code: str = Field(min_length=1, max_length=128, description="The code from wx.login (single use).")
	mobile_no: str | None = Field(
		None,
		min_length=5,
		max_length=32,
		description="A mobile number WeChat verified (getPhoneNumber): enrols the user when no member has them.",
	)
	member_name: str | None = Field(None, min_length=1, max_length=140)
	shopping_guide: str | None = Field(
		None, max_length=140, description="The guide (Sales Person) whose QR code brought the user."
	)


class OrderLine(Request):
	item_code: str = Field(min_length=1, max_length=140)
	amount: Money
	item_group: str | None = Field(None, max_length=140)
	brand: str | None = Field(None, max_length=140)


class EarnRequest(Request):
	member: MemberId
	order_id: Key
	amount: Money = Field(description="What the member paid in money, in the company currency.")
	channel: Channel = "Mini-program"
	order_date: date | None = Field(
		None,
		description="When the order was placed (default: now); its points expire as if earned that day. "
		"An order whose points would already have expired is refused with 422 `order_too_old`.",
	)
	lines: list[OrderLine] | None = Field(None, max_length=500, description="For item, group or brand rules.")
	device_id: str | None = Field(None, max_length=200, description="For the risk rules; stored hashed.")
	payment_reference: str | None = Field(
		None, max_length=200, description="For the risk rules (e.g. a card token); stored hashed."
	)


class RedeemRequest(Request):
	member: MemberId
	points: int = Field(gt=0, le=10**9)
	key: Key
	channel: Channel = "Mini-program"
	device_id: str | None = Field(None, max_length=200, description="For the risk rules; stored hashed.")


class VerifyMobileRequest(Request):
	member: MemberId


class ConsentRequest(Request):
	member: MemberId
	consent_type: Literal["Marketing", "Data processing"]
	granted: bool
	channel: Channel = "Mini-program"
	text_version: str | None = Field(None, max_length=140)


class ReverseRequest(Request):
	transaction_type: Literal["Earn", "Redeem"]
	reference: Key


class RewardsQuery(Request):
	member: MemberId | None = None


class RedeemRewardRequest(Request):
	member: MemberId
	reward: str = Field(min_length=1, max_length=140)
	quantity: int = Field(1, ge=1, le=100)
	key: Key
	channel: Channel = "Mini-program"


class CouponQuery(Request):
	code: str = Field(min_length=1, max_length=140)
	member: MemberId | None = None


class ActivityRequest(Request):
	member: MemberId
	community_group: str = Field(min_length=1, max_length=140)
	activity_type: Literal["Check-in", "Group post", "Event attendance", "Content share", "Product review"]
	activity_datetime: datetime | None = None


ENDPOINTS: dict[str, tuple[str, type[Request], str]] = {}

ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
	(InvalidMobileError, 400, "invalid_mobile"),
	(wechat.WeChatNotConfiguredError, 409, "wechat_not_configured"),
	(wechat.WeChatBusyError, 429, "wechat_busy"),
	(wechat.WeChatLoginError, 400, "wechat_login_failed"),
	(wechat.MemberNotEnrolledError, 404, "member_not_enrolled"),
	(IdentityTakenError, 409, "identity_taken"),
	(GuideError, 422, "invalid_guide"),
	(CustomerChoiceNeededError, 409, "customer_choice_needed"),
	(frappe.DoesNotExistError, 404, "not_found"),
	(frappe.PermissionError, 403, "forbidden"),
	(InsufficientPointsError, 409, "insufficient_points"),
	(MemberNotActiveError, 409, "member_not_active"),
	(RiskBlockedError, 409, "blocked_by_risk_rules"),
	(HeldForApprovalError, 409, "awaiting_approval"),
	(MobileNotVerifiedError, 409, "mobile_not_verified"),
	(PointsShortfallError, 409, "points_already_spent"),
	(RewardUnavailableError, 409, "reward_unavailable"),
	(CouponNotAllowedError, 409, "coupon_not_allowed"),
	(JoinRefusedError, 409, "not_in_group"),
	(flash.SoldOutError, 409, "sold_out"),
	(flash.FlashSaleClosedError, 409, "not_on_sale"),
	(lottery.LotteryClosedError, 409, "lottery_closed"),
	(lottery.DailyLimitError, 409, "daily_limit_reached"),
	(events.EventFullError, 409, "event_full"),
	(events.EventClosedError, 409, "event_closed"),
	(frappe.DuplicateEntryError, 409, "duplicate"),
	(frappe.ValidationError, 422, "validation_failed"),
)


def endpoint(http_method: str, model: type[Request], summary: str) -> Callable:
	"""Validate the arguments against `model`, check the caller's role, map errors to JSON 4xx."""

	def decorate(fn: Callable) -> Callable:
		@functools.wraps(fn)
		def wrapper(**arguments):
			arguments.pop("cmd", None)
			try:
				if not INTEGRATION_ROLES & set(frappe.get_roles()):
					raise ApiError(403, "forbidden", _("This API needs the Loyalty Integration role"))
				return fn(model.model_validate(arguments))
			except ValidationError as e:
				first = e.errors()[0]
				where = ".".join(str(part) for part in first["loc"]) or "body"
				return _fail(400, "invalid_request", f"{where}: {first['msg']}")
			except ApiError as e:
				return _fail(e.status, e.code, e.message)
			except tuple(error for error, _status, _code in ERRORS) as e:
				status, code = next((s, c) for error, s, c in ERRORS if isinstance(e, error))
				return _fail(status, code, _message_of(e) or code)

		# Frappe passes only the arguments a method's signature names: show it **arguments, not fn's.
		del wrapper.__wrapped__
		ENDPOINTS[fn.__name__] = (http_method, model, summary)
		return frappe.whitelist(methods=[http_method])(wrapper)

	return decorate


def _message_of(error: Exception) -> str:
	"""The user-facing text of a Frappe error: its own text, else what frappe.throw put in the message log."""
	if text := strip_html(str(error)).strip():
		return text
	if text := frappe.local.response.get("_error_message"):
		return strip_html(text)
	for entry in reversed(frappe.local.message_log or []):
		message = entry.get("message") if isinstance(entry, dict) else json.loads(entry).get("message")
		if message:
			return strip_html(message)
	return ""


def _fail(status: int, code: str, message: str) -> None:
	frappe.db.rollback()
	frappe.local.message_log = []
	frappe.local.response.pop("_error_message", None)
	frappe.local.response["http_status_code"] = status
	frappe.local.response["error"] = {"code": code, "message": message}


def _member(member: str) -> str:
	if not frappe.db.exists(MEMBER, member):
		raise ApiError(404, "member_not_found", _("No loyalty member {0}").format(member))
	return member


def _fingerprint(request: Request) -> str:
	return hashlib.sha256(json.dumps(request.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _replay(transaction_type: str, member: str, reference: str, request: Request):
	"""The earlier transaction with this key, or None; a 409 when the same key carried other content.

	Read under the member's lock with a locking read: a replay that arrives while the first call is still
	running waits for it and returns its result."""
	lock_member(member)
	rows = frappe.db.sql(
		f"select name, fingerprint from `tab{EXTERNAL}` where request_key = %s for update",
		f"{transaction_type}:{reference}",
		as_dict=True,
	)
	existing = rows[0] if rows else None
	if existing and existing.fingerprint != _fingerprint(request):
		raise ApiError(
			409, "idempotency_conflict", _("{0} was already used for a different request").format(reference)
		)
	if existing:
		end_if_nothing_written()
	return existing


def _transaction_result(name: str) -> dict:
	txn = frappe.db.get_value(
		EXTERNAL,
		name,
		["name", "transaction_type", "reference", "member", "points", "amount", "status"],
		as_dict=True,
	)
	return {
		"transaction": txn.name,
		"transaction_type": txn.transaction_type,
		"reference": txn.reference,
		"points": txn.points,
		"amount": float(txn.amount or 0),
		"status": txn.status,
		"held_for_approval": bool(
			frappe.db.exists("Risk Alert", {"posting_key": f"{EXTERNAL}:{txn.name}:earn", "status": "Open"})
		),
		"member": member_summary(txn.member),
	}


def member_summary(member: str, caller_gave_mobile: bool = False) -> dict:
	"""The member's state; the mobile number is masked unless the caller is a manager or typed it."""
	m = frappe.db.get_value(
		MEMBER,
		member,
		[
			"name",
			"member_name",
			"mobile_no",
			"mobile_verified",
			"status",
			"status_reason",
			"merged_into",
			"tier",
			"tier_valid_until",
			"points_balance",
			"points_debt",
			"points_expiring_soon",
			"next_points_expiry",
			"lifetime_earned",
			"referral_code",
		],
		as_dict=True,
	)
	settings = get_settings()
	tiers = all_tiers()
	ranks = {t.name: t.rank for t in tiers}
	higher = sorted((t for t in tiers if t.rank > ranks.get(m.tier, -1)), key=lambda t: t.rank)
	value = qualifying_value(member, getdate(), settings)
	coupons = frappe.get_all(
		"Coupon Code",
		filters={"loyalty_member": member, "used": 0},
		or_filters=[["valid_upto", "is", "not set"], ["valid_upto", ">=", getdate()]],
		fields=["coupon_code", "coupon_campaign", "valid_upto"],
		order_by="creation desc",
		limit=50,
	)
	return {
		"member": m.name,
		"member_name": m.member_name,
		"mobile_no": visible_mobile(m.mobile_no, caller_gave_mobile),
		"mobile_verified": bool(m.mobile_verified),
		"status": m.status,
		"status_reason": m.status_reason,
		"merged_into": m.merged_into,
		"referral_code": m.referral_code,
		"tier": m.tier,
		"tier_valid_until": str(m.tier_valid_until) if m.tier_valid_until else None,
		"next_tier": higher[0].name if higher else None,
		"to_next_tier": float(max(higher[0].entry_threshold - value, 0)) if higher else None,
		"points_balance": m.points_balance,
		"redeemable_points": redeemable_points(member),
		"points_debt": m.points_debt,
		"points_expiring_soon": m.points_expiring_soon,
		"next_points_expiry": str(m.next_points_expiry) if m.next_points_expiry else None,
		"lifetime_earned": m.lifetime_earned,
		"coupons": [
			{
				"code": c.coupon_code,
				"campaign": c.coupon_campaign,
				"valid_upto": str(c.valid_upto) if c.valid_upto else None,
			}
			for c in coupons
		],
	}


@endpoint("POST", EnrolRequest, "Enrol a member (idempotent by mobile number)")
def enrol(request: EnrolRequest) -> dict:
	referrer = None
	if request.referral_code:
		referrer = frappe.db.get_value(MEMBER, {"referral_code": request.referral_code.upper()})
		if not referrer:
			raise ApiError(
				404,
				"referral_code_not_found",
				_("No member has referral code {0}").format(request.referral_code),
			)
	profile = request.model_dump(
		exclude={
			"mobile_no",
			"member_name",
			"referral_code",
			"device_id",
			"address",
			"identities",
			"shopping_guide",
			"customer",
		},
		exclude_none=True,
	)
	existing = member_by_mobile(request.mobile_no)
	if request.customer and not existing:
		profile["customer"] = customer_for_mobile(request.mobile_no, chosen=request.customer)
	with channel_signals(device_id=request.device_id, address=request.address):
		member = enrol_member(
			request.mobile_no, request.member_name, ignore_permissions=True, referred_by=referrer, **profile
		)
	for identity in request.identities or ():
		bind_identity(member.name, identity.platform, identity.app_id, identity.external_id)
	if not existing:
		guide_new_member(member.name, request.shopping_guide)
		frappe.local.response["http_status_code"] = 201
	return member_summary(member.name, caller_gave_mobile=True)


@endpoint("POST", WeChatLoginRequest, "Mini-program login: find (or enrol) the member of a wx.login code")
def wechat_login(request: WeChatLoginRequest) -> dict:
	member, enrolled = wechat.login(request.code, request.mobile_no, request.member_name)
	if enrolled:
		guide_new_member(member, request.shopping_guide, "Guide QR code")
		frappe.local.response["http_status_code"] = 201
	gave_mobile = bool(request.mobile_no) and frappe.db.get_value(MEMBER, member, "mobile_no") == mobile_in(
		request.mobile_no
	)
	return member_summary(member, caller_gave_mobile=gave_mobile)


@endpoint("GET", MemberQuery, "A member's balance, tier, expiring points and coupons")
def member(request: MemberQuery) -> dict:
	by_identity = request.platform and request.app_id and request.external_id
	if not (request.member or request.mobile_no or by_identity):
		raise ApiError(
			400, "invalid_request", _("Give member, mobile_no or platform, app_id and external_id")
		)
	if by_identity and not (request.member or request.mobile_no):
		name = member_by_identity(request.platform, request.app_id, request.external_id)
		if not name:
			raise ApiError(
				404,
				"member_not_found",
				_("No loyalty member holds this {0} identity").format(_(request.platform)),
			)
	else:
		name = request.member or member_by_mobile(request.mobile_no)
	if not name:
		raise ApiError(
			404, "member_not_found", _("No loyalty member with mobile number {0}").format(request.mobile_no)
		)
	return member_summary(_member(name), caller_gave_mobile=bool(request.mobile_no))


@endpoint("POST", EarnRequest, "Earn points for an external order (idempotent by order_id)")
def earn(request: EarnRequest) -> dict:
	member = _member(request.member)
	if existing := _replay("Earn", member, request.order_id, request):
		return _transaction_result(existing.name)
	posted_at = get_datetime(request.order_date) if request.order_date else now_datetime()
	expiry_date = get_settings().expiry_date(getdate(posted_at))
	if expiry_date and expiry_date < getdate():
		raise ApiError(
			422,
			"order_too_old",
			_("Points for an order of {0} would have expired on {1}, so it cannot earn points").format(
				getdate(posted_at), expiry_date
			),
		)
	txn = _new_transaction("Earn", request.order_id, member, request, amount=request.amount, on=posted_at)
	lines = [
		Line(item_code=line.item_code, amount=line.amount, item_group=line.item_group, brand=line.brand)
		for line in request.lines or [OrderLine(item_code="order", amount=request.amount)]
	]
	with channel_signals(device_id=request.device_id, payment_reference=request.payment_reference):
		purchase = sales.record_purchase(
			member, Voucher(EXTERNAL, txn.name), posted_at, lines, float(request.amount), request.channel
		)
		purchases.after_purchase(member, purchase)
	txn.db_set("points", purchase.points)
	return _transaction_result(txn.name)


@endpoint("POST", RedeemRequest, "Spend points (idempotent by key)")
def redeem(request: RedeemRequest) -> dict:
	member = _member(request.member)
	if existing := _replay("Redeem", member, request.key, request):
		return _transaction_result(existing.name)
	txn = _new_transaction("Redeem", request.key, member, request, points=request.points)
	with channel_signals(device_id=request.device_id):
		debit(
			member, request.points, "Redeem", Voucher(EXTERNAL, txn.name), key=f"{EXTERNAL}:{txn.name}:redeem"
		)
	return _transaction_result(txn.name)


@endpoint("POST", ReverseRequest, "Reverse an earlier earn or redeem (idempotent)")
def reverse(request: ReverseRequest) -> dict:
	name = frappe.db.get_value(EXTERNAL, {"request_key": f"{request.transaction_type}:{request.reference}"})
	if not name:
		raise ApiError(
			404,
			"transaction_not_found",
			_("No {0} with reference {1}").format(request.transaction_type, request.reference),
		)
	txn = frappe.get_doc(EXTERNAL, name)
	if txn.status != "Reversed":
		voucher = Voucher(EXTERNAL, txn.name)
		reverse_caused_by(voucher, block_shortfall=get_settings().block_return_shortfall)
		txn.db_set("status", "Reversed")
		if txn.transaction_type == "Earn":
			sales.recount_purchases(txn.member)
			purchases.after_reversal(txn.member, voucher, getdate(txn.transaction_date))
	return _transaction_result(txn.name)


@endpoint("GET", RewardsQuery, "Active rewards; with a member, whether they can redeem each and why not")
def rewards(request: RewardsQuery) -> list[dict]:
	today = getdate()
	member = _member(request.member) if request.member else None
	result = []
	for name in frappe.get_all(
		"Loyalty Reward", filters={"active": 1}, pluck="name", order_by="points_cost asc"
	):
		reward = frappe.get_doc("Loyalty Reward", name)
		if (reward.valid_from and getdate(reward.valid_from) > today) or (
			reward.valid_to and getdate(reward.valid_to) < today
		):
			continue
		answer = can_take(reward, member) if member else None
		result.append(
			{
				"reward": reward.name,
				"reward_type": reward.reward_type,
				"points_cost": reward.points_cost,
				"cash_amount": float(reward.cash_amount or 0),
				"quantity_left": reward.total_quantity - reward.redeemed_quantity
				if reward.total_quantity
				else None,
				"tiers": [row.tier for row in reward.allowed_tiers],
				"can_redeem": answer.allowed if answer else None,
				"reason": answer.reason if answer else None,
				"reason_message": answer.message if answer else None,
			}
		)
	return result


@endpoint("POST", RedeemRewardRequest, "Redeem a reward for points (idempotent by key)")
def redeem_reward(request: RedeemRewardRequest) -> dict:
	member = _member(request.member)
	if not frappe.db.exists("Loyalty Reward", request.reward):
		raise ApiError(404, "reward_not_found", _("No reward {0}").format(request.reward))
	# the reward's lock first, as the redemption's submit takes it: a concurrent replay waits and finds the first
	lock_row("Loyalty Reward", request.reward)
	rows = frappe.db.sql(
		"""select name, member, reward, quantity from `tabReward Redemption`
		where external_reference = %s for update""",
		request.key,
		as_dict=True,
	)
	existing = rows[0] if rows else None
	if existing and (existing.member, existing.reward, existing.quantity) != (
		member,
		request.reward,
		request.quantity,
	):
		raise ApiError(
			409, "idempotency_conflict", _("{0} was already used for a different request").format(request.key)
		)
	if existing:
		end_if_nothing_written()
	else:
		redemption = frappe.get_doc(
			{
				"doctype": "Reward Redemption",
				"member": member,
				"reward": request.reward,
				"quantity": request.quantity,
				"channel": request.channel,
				"external_reference": request.key,
			}
		)
		redemption.insert(ignore_permissions=True)
		redemption.flags.ignore_permissions = True
		redemption.submit()
		existing = redemption
	return _redemption_result(existing.name, member)


def _redemption_result(redemption: str, member: str) -> dict:
	row = frappe.db.get_value(
		"Reward Redemption", redemption, ["name", "reward", "quantity", "points", "coupon_code"], as_dict=True
	)
	return {
		"redemption": row.name,
		"reward": row.reward,
		"quantity": row.quantity,
		"points": row.points,
		"coupon_code": row.coupon_code,
		"member": member_summary(member),
	}


@endpoint("GET", CouponQuery, "Whether a coupon code can be used now (by this member)")
def validate_coupon(request: CouponQuery) -> dict:
	from erpnext.accounts.doctype.pricing_rule.utils import validate_coupon_code

	coupon = frappe.db.get_value(
		"Coupon Code",
		{"coupon_code": request.code},
		["name", "loyalty_member", "coupon_campaign", "valid_upto"],
		as_dict=True,
	)
	if not coupon:
		raise ApiError(404, "coupon_not_found", _("No coupon {0}").format(request.code))
	reason = None
	try:
		validate_coupon_code(coupon.name)
	except frappe.ValidationError as e:
		frappe.local.message_log = []
		reason = strip_html(str(e))
	if not reason and coupon.loyalty_member and request.member and coupon.loyalty_member != request.member:
		reason = _("Coupon {0} belongs to another member").format(request.code)
	return {
		"code": request.code,
		"valid": reason is None,
		"reason": reason,
		"campaign": coupon.coupon_campaign,
		"valid_upto": str(coupon.valid_upto) if coupon.valid_upto else None,
	}


@endpoint("POST", ActivityRequest, "Record a community activity (may earn points)")
def record_activity(request: ActivityRequest) -> dict:
	member = _member(request.member)
	if not frappe.db.exists("Community Group", request.community_group):
		raise ApiError(404, "group_not_found", _("No community group {0}").format(request.community_group))
	activity = frappe.get_doc(
		{
			"doctype": "Community Activity",
			"community_group": request.community_group,
			"member": member,
			"activity_type": request.activity_type,
			"activity_datetime": request.activity_datetime or now_datetime(),
		}
	).insert(ignore_permissions=True)
	return {
		"activity": activity.name,
		"points_awarded": frappe.db.get_value("Community Activity", activity.name, "points_awarded") or 0,
		"member": member_summary(member),
	}


class LotteryEntryRequest(Request):
	member: MemberId
	lottery: str = Field(min_length=1, max_length=140)
	key: Key


class FlashRedeemRequest(Request):
	member: MemberId
	flash_sale: str = Field(min_length=1, max_length=140)
	key: Key
	channel: Channel = "Mini-program"


class FeedbackRequest(Request):
	member: MemberId
	feedback_type: Literal["Survey", "Complaint"] = "Survey"
	rating: int | None = Field(None, ge=1, le=5, description="Required for a survey.")
	comment: str | None = Field(None, max_length=2000)
	store: str | None = Field(None, max_length=140, description="The store's warehouse.")
	reference_doctype: Literal["Sales Invoice", "POS Invoice", "External Transaction"] | None = None
	reference_name: str | None = Field(None, max_length=140)


def _exists(doctype: str, name: str, code: str) -> str:
	if not frappe.db.exists(doctype, name):
		raise ApiError(404, code, _("No {0} {1}").format(_(doctype), name))
	return name


@endpoint(
	"POST", LotteryEntryRequest, "Enter a points lottery: pay the entry, draw, award (idempotent by key)"
)
def draw_lottery(request: LotteryEntryRequest) -> dict:
	member = _member(request.member)
	_exists("Points Lottery", request.lottery, "lottery_not_found")
	return {
		**lottery.draw_result(lottery.enter(request.lottery, member, key=request.key)),
		"member": member_summary(member),
	}


@endpoint("POST", FlashRedeemRequest, "Redeem a flash sale's reward; 409 sold_out when none is left")
def flash_redeem(request: FlashRedeemRequest) -> dict:
	member = _member(request.member)
	_exists("Flash Sale", request.flash_sale, "flash_sale_not_found")
	return _redemption_result(
		flash.redeem(request.flash_sale, member, key=request.key, channel=request.channel), member
	)


@endpoint("POST", FeedbackRequest, "Record a member's survey answer or complaint")
def submit_feedback(request: FeedbackRequest) -> dict:
	member = _member(request.member)
	name = feedback.record(member, channel="API", **request.model_dump(exclude={"member"}, exclude_none=True))
	frappe.local.response["http_status_code"] = 201
	row = frappe.db.get_value(
		"Member Feedback", name, ["name", "feedback_type", "rating", "status", "points_awarded"], as_dict=True
	)
	return {**row, "member": member_summary(member)}


@endpoint("POST", VerifyMobileRequest, "Mark the member's mobile number verified after your SMS check")
def verify_mobile(request: VerifyMobileRequest) -> dict:
	member = _member(request.member)
	mark_mobile_verified(member, "API")
	return member_summary(member)


@endpoint("POST", ConsentRequest, "Record a member giving or withdrawing a consent")
def consent(request: ConsentRequest) -> dict:
	member = _member(request.member)
	set_consent(member, request.consent_type, request.granted, request.channel, request.text_version)
	return member_summary(member)


class EventCheckInRequest(Request):
	member: MemberId
	member_event: str = Field(min_length=1, max_length=140)


@endpoint(
	"POST",
	EventCheckInRequest,
	"Check a member in at a member event (idempotent; walk-ins if seats are free)",
)
def event_check_in(request: EventCheckInRequest) -> dict:
	member = _member(request.member)
	_exists("Member Event", request.member_event, "event_not_found")
	return {**events.check_in(request.member_event, member), "member": member_summary(member)}


@frappe.whitelist(allow_guest=True, methods=["GET"])
def openapi() -> None:
	"""The OpenAPI 3 document of this API (also checked in as loyalty_app/api/openapi.json)."""
	from loyalty_app.api.openapi import document

	frappe.local.response.update(
		{
			"type": "download",
			"filename": "openapi.json",
			"filecontent": json.dumps(document(), indent=1),
			"content_type": "application/json",
			"display_content_as": "inline",
		}
	)


def _new_transaction(
	transaction_type: str, reference: str, member: str, request: Request, amount=0, points=0, on=None
):
	return frappe.get_doc(
		{
			"doctype": EXTERNAL,
			"transaction_type": transaction_type,
			"reference": reference,
			"request_key": f"{transaction_type}:{reference}",
			"member": member,
			"channel": request.channel,
			"transaction_date": getdate(on) if on else getdate(),
			"amount": amount,
			"points": points,
			"fingerprint": _fingerprint(request),
		}
	).insert(ignore_permissions=True)
