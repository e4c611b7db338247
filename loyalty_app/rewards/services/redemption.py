"""Redeeming a reward from the catalog: check it, take the points FIFO, then fulfil it through ERPNext.

Everything happens in the submit's transaction with the reward row locked (SELECT ... FOR UPDATE), so
the total quantity and per-member limits hold when several tills redeem the same reward at once.
- Stock Item: a submitted Material Issue Stock Entry from the reward's warehouse (stock ledger and
  valuation as ERPNext keeps them).
- Points + Cash: a submitted Sales Invoice for the cash part with the reward item, updating stock.
- Coupon: a coupon code from the reward's Coupon Campaign, bound to the member.
- Service: points only; the experience is delivered outside the system.
"""

from dataclasses import dataclass
from datetime import date

import frappe
from frappe import _
from frappe.utils import flt, getdate

from loyalty_app.loyalty.services.ledger import (
	ACTIVE,
	InsufficientPointsError,
	MemberNotActiveError,
	Voucher,
	debit,
	redeemable_points,
	reverse_caused_by,
)
from loyalty_app.rewards.services.coupons import issue_code, void_code
from loyalty_app.utils import lock_row, locked_value

STOCK_TYPES = ("Stock Item", "Points + Cash")


class RewardUnavailableError(frappe.ValidationError):
	pass


class CouponAlreadyUsedError(frappe.ValidationError):
	pass


@dataclass(frozen=True)
class RewardAnswer:
	"""Whether a member can take a reward: `reason` is None when they can, else a code with a message."""

	reason: str | None = None
	message: str | None = None

	@property
	def allowed(self) -> bool:
		return self.reason is None


REFUSALS = {"not_enough_points": InsufficientPointsError, "member_not_active": MemberNotActiveError}


def can_take(
	reward,
	member: str,
	*,
	quantity: int = 1,
	points: int | None = None,
	on_date: date | None = None,
	store: str | None = None,
	excluding: str | None = None,
) -> RewardAnswer:
	"""The one answer to "can this member take this reward" that the redemption, the API and the portal
	all ask. `reward` is the Loyalty Reward document; `points` defaults to its cost × `quantity`;
	`excluding` is a redemption not to count against the member's limit (the one being submitted).
	A reward given free of points (a gift, a prize) does not ask for an active member or a balance."""
	on_date = getdate(on_date)
	if not reward.active:
		return RewardAnswer("reward_inactive", _("Reward {0} is not active").format(reward.name))
	if (reward.valid_from and getdate(reward.valid_from) > on_date) or (
		reward.valid_to and getdate(reward.valid_to) < on_date
	):
		return RewardAnswer(
			"outside_validity",
			_("Reward {0} can only be redeemed from {1} to {2}").format(
				reward.name, reward.valid_from or "", reward.valid_to or ""
			),
		)
	profile = frappe.db.get_value(
		"Loyalty Member", member, ["tier", "status", "lifecycle_stage", "rfm_segment"], as_dict=True
	)
	points = (reward.points_cost or 0) * quantity if points is None else points
	if points and profile.status != ACTIVE:
		return RewardAnswer(
			"member_not_active",
			_("Member {0} is {1} and cannot redeem points").format(member, _(profile.status)),
		)
	for segment_field, label in (
		("lifecycle_stage", _("lifecycle stage")),
		("rfm_segment", _("RFM segment")),
	):
		if reward.get(segment_field) and profile.get(segment_field) != reward.get(segment_field):
			return RewardAnswer(
				"not_in_segment",
				_("Reward {0} is only for members in {1} {2}").format(
					reward.name, label, _(reward.get(segment_field))
				),
			)
	allowed_tiers = frappe.get_all("Loyalty Reward Tier", filters={"parent": reward.name}, pluck="tier")
	if allowed_tiers and profile.tier not in allowed_tiers:
		return RewardAnswer(
			"not_in_tier", _("Reward {0} is only for tiers {1}").format(reward.name, ", ".join(allowed_tiers))
		)
	if reward.community_group and not frappe.db.exists(
		"Community Membership",
		{"community_group": reward.community_group, "member": member, "status": "Active"},
	):
		return RewardAnswer(
			"not_in_group",
			_("Reward {0} is only for members of community group {1}").format(
				reward.name, reward.community_group
			),
		)
	if reward.total_quantity and reward.redeemed_quantity + quantity > reward.total_quantity:
		return RewardAnswer(
			"none_left",
			_("Only {0} of reward {1} are left").format(
				max(reward.total_quantity - reward.redeemed_quantity, 0), reward.name
			),
		)
	if reward.per_member_limit:
		already = redeemed_by_member(reward.name, member, excluding=excluding)
		if already + quantity > reward.per_member_limit:
			return RewardAnswer(
				"member_limit_reached",
				_("Member {0} may redeem reward {1} {2} times and has redeemed it {3} times").format(
					member, reward.name, reward.per_member_limit, already
				),
			)
	if reward.reward_type in STOCK_TYPES:
		warehouse = store or reward.source_warehouse
		in_stock = stock_available(reward.item, warehouse)
		if in_stock < quantity:
			return RewardAnswer(
				"out_of_stock", _("Only {0} of {1} in stock at {2}").format(in_stock, reward.item, warehouse)
			)
	available = redeemable_points(member, on_date)
	if points > available:
		return RewardAnswer(
			"not_enough_points",
			_("Member {0} has {1} points available, {2} requested").format(member, available, points),
		)
	return RewardAnswer()


def check_available(redemption, reward) -> None:
	"""Refuse the redemption with `can_take`'s reason; nothing has been written when it raises."""
	answer = can_take(
		reward,
		redemption.member,
		quantity=redemption.quantity,
		points=redemption.points,
		on_date=redemption.posting_date,
		store=redemption.store,
		excluding=redemption.name,
	)
	if not answer.allowed:
		frappe.throw(
			answer.message,
			REFUSALS.get(answer.reason, RewardUnavailableError),
			title=_("Reward not available"),
		)


def issuing_warehouse(redemption, reward) -> str:
	return redemption.store or reward.source_warehouse


def redeemed_by_member(reward: str, member: str, excluding: str | None = None) -> int:
	"""Read under the reward's lock with a locking read, so concurrent redemptions see each other."""
	return int(
		locked_value(
			"""select coalesce(sum(quantity), 0) from `tabReward Redemption`
			where reward = %s and member = %s and docstatus = 1 and name != %s""",
			(reward, member, excluding or ""),
		)
	)


def stock_available(item: str, warehouse: str) -> float:
	return flt(frappe.db.get_value("Bin", {"item_code": item, "warehouse": warehouse}, "actual_qty"))


def redeem(redemption) -> None:
	reward = lock_row("Loyalty Reward", redemption.reward)
	check_available(redemption, reward)
	voucher = Voucher(redemption.doctype, redemption.name, redemption.company)
	if redemption.points:
		debit(
			redemption.member,
			redemption.points,
			"Redeem",
			voucher,
			key=f"{redemption.doctype}:{redemption.name}:redeem",
			remarks=_("Reward {0} × {1}").format(reward.name, redemption.quantity),
		)
	if reward.reward_type == "Stock Item":
		redemption.db_set("stock_entry", _issue_stock(redemption, reward))
	elif reward.reward_type == "Points + Cash":
		redemption.db_set("sales_invoice", _invoice_cash_part(redemption, reward))
	elif reward.reward_type == "Coupon":
		redemption.db_set("coupon_code", issue_code(reward.coupon_campaign, redemption.member))
	frappe.db.sql(
		"update `tabLoyalty Reward` set redeemed_quantity = redeemed_quantity + %s where name = %s",
		(redemption.quantity, reward.name),
	)


def check_cancellable(redemption) -> None:
	if redemption.coupon_code and frappe.db.get_value("Coupon Code", redemption.coupon_code, "used"):
		frappe.throw(
			_("Coupon {0} from this redemption has been used, so the redemption cannot be cancelled").format(
				redemption.coupon_code
			),
			CouponAlreadyUsedError,
		)


def cancel(redemption) -> None:
	lock_row("Loyalty Reward", redemption.reward)
	reverse_caused_by(Voucher(redemption.doctype, redemption.name, redemption.company), block_shortfall=True)
	for doctype, name in (
		("Stock Entry", redemption.stock_entry),
		("Sales Invoice", redemption.sales_invoice),
	):
		if name and frappe.db.get_value(doctype, name, "docstatus") == 1:
			document = frappe.get_doc(doctype, name)
			document.flags.ignore_permissions = True
			document.cancel()
	if redemption.coupon_code:
		void_code(redemption.coupon_code)
	frappe.db.sql(
		"update `tabLoyalty Reward` set redeemed_quantity = greatest(redeemed_quantity - %s, 0) where name = %s",
		(redemption.quantity, redemption.reward),
	)


def _issue_stock(redemption, reward) -> str:
	entry = frappe.get_doc(
		{
			"doctype": "Stock Entry",
			"stock_entry_type": "Material Issue",
			"company": redemption.company,
			"posting_date": redemption.posting_date,
			"remarks": _("Reward {0} redeemed by {1} ({2})").format(
				reward.name, redemption.member, redemption.name
			),
			"items": [
				{
					"item_code": reward.item,
					"qty": redemption.quantity,
					"s_warehouse": issuing_warehouse(redemption, reward),
				}
			],
		}
	)
	entry.flags.ignore_permissions = True
	entry.insert()
	entry.submit()
	return entry.name


def _invoice_cash_part(redemption, reward) -> str:
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": redemption.company,
			"customer": frappe.db.get_value("Loyalty Member", redemption.member, "customer"),
			"posting_date": redemption.posting_date,
			"update_stock": 1,
			"set_warehouse": issuing_warehouse(redemption, reward),
			"remarks": _("Cash part of reward {0} ({1})").format(reward.name, redemption.name),
			"items": [
				{
					"item_code": reward.item,
					"qty": redemption.quantity,
					"rate": reward.cash_amount,
					"warehouse": issuing_warehouse(redemption, reward),
				}
			],
		}
	)
	invoice.flags.ignore_permissions = True
	invoice.insert()
	invoice.submit()
	return invoice.name
