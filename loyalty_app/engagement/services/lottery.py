"""Points lottery (积分抽奖): a member spends points on an entry and may win points, a coupon or a reward.

A draw locks the lottery row (SELECT ... FOR UPDATE), so concurrent entries are drawn one after another
against the prizes still in stock: no prize is ever awarded beyond its quantity. The entry's points are
debited through the ledger under the caller's idempotency key, the prize picked by engine.lottery from a
fresh random seed, and the whole draw (seed, roll, total weight, prize, points) kept in an immutable
Lottery Draw row that anyone can recompute. A replayed key returns the first draw.
"""

import secrets

import frappe
from frappe import _
from frappe.utils import get_datetime, getdate, now_datetime

from loyalty_app.engagement.services.welcome import free_redemption
from loyalty_app.engine.lottery import Prize, draw, odds
from loyalty_app.loyalty.services.ledger import Voucher, credit, debit
from loyalty_app.rewards.services.coupons import issue_code
from loyalty_app.utils import end_if_nothing_written, lock_row, locked_value

LOTTERY = "Points Lottery"
DRAW = "Lottery Draw"


class LotteryClosedError(frappe.ValidationError):
	pass


class DailyLimitError(frappe.ValidationError):
	pass


def validate(lottery) -> None:
	if get_datetime(lottery.starts_at) >= get_datetime(lottery.ends_at):
		frappe.throw(_("The lottery must end after it starts"))
	for prize in lottery.prizes:
		needs = {"Points": "points", "Coupon": "coupon_campaign", "Reward": "reward"}[prize.prize_type]
		if not prize.get(needs):
			frappe.throw(
				_("Row {0}: a {1} prize needs {2}").format(
					prize.idx, _(prize.prize_type), _(prize.meta.get_label(needs))
				)
			)
	stated = odds(engine_prizes(lottery.prizes), lottery.no_win_weight or 0)
	if not stated:
		frappe.throw(_("Give the prizes or the no-win weight a positive weight"))
	for prize in lottery.prizes:
		prize.odds = round(stated[prize.name] * 100, 4) if prize.name in stated else 0


def engine_prizes(rows) -> list[Prize]:
	return [
		Prize(
			row.name,
			row.weight or 0,
			(row.quantity - (row.awarded or 0)) if row.quantity else 1,
		)
		for row in rows
	]


def enter(lottery_name: str, member: str, key: str) -> str:
	"""One entry: debit the points, draw, award. Returns the Lottery Draw (the first one for a replayed key)."""
	lottery = lock_row(LOTTERY, lottery_name)
	if existing := existing_draw(key, lottery_name, member):
		end_if_nothing_written()
		return existing  # a replay, also one that waited for the first call's lock
	now = now_datetime()
	if not lottery.enabled or not (get_datetime(lottery.starts_at) <= now <= get_datetime(lottery.ends_at)):
		frappe.throw(
			_("Lottery {0} is open from {1} to {2}").format(lottery.name, lottery.starts_at, lottery.ends_at),
			LotteryClosedError,
		)
	if lottery.daily_limit and entries_today(lottery.name, member) >= lottery.daily_limit:
		frappe.throw(
			_("You have used all {0} entries of lottery {1} for today").format(
				lottery.daily_limit, lottery.name
			),
			DailyLimitError,
		)
	# a locking read: the prizes' latest awarded counts, not this transaction's earlier snapshot
	prizes = frappe.db.sql(
		"""select name, prize_label, prize_type, points, coupon_campaign, reward, weight, quantity, awarded
		from `tabLottery Prize` where parent = %s and parenttype = %s order by idx for update""",
		(lottery.name, LOTTERY),
		as_dict=True,
	)
	record = frappe.new_doc(DRAW)
	record.update(
		{
			"lottery": lottery.name,
			"member": member,
			"drawn_at": now,
			"points_spent": lottery.points_per_entry,
			"idempotency_key": key,
			"seed": secrets.token_hex(16),
		}
	)
	record.name = frappe.generate_hash(length=20)
	voucher = Voucher(DRAW, record.name)
	if lottery.points_per_entry:
		debit(
			member,
			lottery.points_per_entry,
			"Redeem",
			voucher,
			key=f"{DRAW}:{key}:entry",
			remarks=_("Entry to lottery {0}").format(lottery.name),
		)
	result = draw(engine_prizes(prizes), lottery.no_win_weight or 0, record.seed)
	record.update({"roll": result.roll, "total_weight": result.total_weight})
	if prize := next((p for p in prizes if p.name == result.prize), None):
		award(prize, member, record, voucher, key)
	record.insert(ignore_permissions=True, set_name=record.name)
	return record.name


def award(prize, member: str, record, voucher: Voucher, key: str) -> None:
	frappe.db.sql("update `tabLottery Prize` set awarded = awarded + 1 where name = %s", prize.name)
	record.update({"prize": prize.name, "prize_label": prize.prize_label, "prize_type": prize.prize_type})
	if prize.prize_type == "Points":
		credit(
			member,
			prize.points,
			"Bonus",
			voucher,
			key=f"{DRAW}:{key}:prize",
			remarks=_("Lottery prize {0}").format(prize.prize_label),
		)
		record.points_won = prize.points
	elif prize.prize_type == "Coupon":
		record.coupon_code = issue_code(prize.coupon_campaign, member)
	else:
		record.reward_redemption = free_redemption(prize.reward, member, f"{DRAW}:{key}:prize")


def existing_draw(key: str, lottery: str, member: str) -> str | None:
	rows = frappe.db.sql(
		"select name, lottery, member from `tabLottery Draw` where idempotency_key = %s for update",
		key,
		as_dict=True,
	)
	found = rows[0] if rows else None
	if found and (found.lottery, found.member) != (lottery, member):
		frappe.throw(
			_("{0} was already used for a different request").format(key), frappe.DuplicateEntryError
		)
	return found.name if found else None


def entries_today(lottery: str, member: str) -> int:
	"""Read under the lottery's lock with a locking read, so concurrent entries see each other."""
	today = getdate()
	return locked_value(
		"""select count(*) from `tabLottery Draw`
		where lottery = %s and member = %s and drawn_at >= %s and drawn_at < %s + interval 1 day""",
		(lottery, member, today, today),
	)


def draw_result(name: str) -> dict:
	row = frappe.db.get_value(
		DRAW,
		name,
		[
			"name",
			"lottery",
			"member",
			"points_spent",
			"prize_label",
			"prize_type",
			"points_won",
			"coupon_code",
			"reward_redemption",
			"seed",
			"roll",
			"total_weight",
		],
		as_dict=True,
	)
	return {
		"draw": row.name,
		"lottery": row.lottery,
		"won": bool(row.prize_label),
		"prize": row.prize_label,
		"prize_type": row.prize_type,
		"points_spent": row.points_spent,
		"points_won": row.points_won or 0,
		"coupon_code": row.coupon_code,
		"reward_redemption": row.reward_redemption,
		"seed": row.seed,
		"roll": row.roll,
		"total_weight": row.total_weight,
	}
