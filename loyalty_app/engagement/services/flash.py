"""Flash redemption (限时抢购): a reward offered for a time window in a fixed quantity.

A redemption locks the Flash Sale row first, so however many members redeem at once they are served one
after another: the quantity is never oversold, and a member who comes after the last one gets a clear
"sold out" refusal before any points are touched. Each redemption is an ordinary Reward Redemption (its
points, stock and coupon fulfilment as usual) whose external reference names the sale and the caller's
key, which makes a replayed request return the first redemption.
"""

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from loyalty_app.rewards.services.redemption import RewardUnavailableError
from loyalty_app.utils import end_if_nothing_written, lock_row, locked_value

SALE = "Flash Sale"


class FlashSaleClosedError(frappe.ValidationError):
	pass


class SoldOutError(frappe.ValidationError):
	pass


def validate(sale) -> None:
	if get_datetime(sale.starts_at) >= get_datetime(sale.ends_at):
		frappe.throw(_("The flash sale must end after it starts"))
	if (sale.quantity or 0) < (sale.sold or 0):
		frappe.throw(_("{0} are already sold, so the quantity cannot be lower").format(sale.sold))


def redeem(sale_name: str, member: str, key: str, channel: str = "Store") -> str:
	"""Returns the Reward Redemption; raises SoldOutError or FlashSaleClosedError with nothing changed."""
	reference = f"flash:{sale_name}:{key}"
	sale = lock_row(SALE, sale_name)
	if existing := locked_value(
		"select max(name) from `tabReward Redemption` where external_reference = %s and docstatus = 1",
		reference,
	):
		end_if_nothing_written()
		return existing  # a replay, also one that waited for the first call's lock
	if not sale.enabled or not (get_datetime(sale.starts_at) <= now_datetime() <= get_datetime(sale.ends_at)):
		frappe.throw(
			_("Flash sale {0} runs from {1} to {2}").format(sale.name, sale.starts_at, sale.ends_at),
			FlashSaleClosedError,
		)
	if sale.sold >= sale.quantity:
		frappe.throw(
			_("Sorry, flash sale {0} is sold out").format(sale.name), SoldOutError, title=_("Sold out")
		)
	if sale.per_member_limit and bought_by(sale.name, member) >= sale.per_member_limit:
		frappe.throw(
			_("Flash sale {0} allows {1} per member").format(sale.name, sale.per_member_limit),
			RewardUnavailableError,
		)
	redemption = frappe.get_doc(
		{
			"doctype": "Reward Redemption",
			"member": member,
			"reward": sale.reward,
			"quantity": 1,
			"channel": channel,
			"external_reference": reference,
		}
	)
	redemption.flags.ignore_permissions = True
	redemption.insert()
	redemption.submit()
	frappe.db.sql("update `tabFlash Sale` set sold = sold + 1 where name = %s", sale.name)
	return redemption.name


def on_redemption_cancelled(redemption, method=None) -> None:
	"""Reward Redemption on_cancel: a cancelled flash redemption puts its unit back on sale."""
	reference = redemption.external_reference or ""
	if not reference.startswith("flash:"):
		return
	# the reference is flash:<sale>:<key>, and keys may hold colons: find the sale it starts with
	sales = frappe.db.sql_list(
		"""select name from `tabFlash Sale` where locate(concat('flash:', name, ':'), %s) = 1
		order by length(name) desc limit 1""",
		reference,
	)
	if sales:
		lock_row(SALE, sales[0])
		frappe.db.sql("update `tabFlash Sale` set sold = greatest(sold - 1, 0) where name = %s", sales[0])


def bought_by(sale_name: str, member: str) -> int:
	"""Read under the sale's lock with a locking read, so concurrent redemptions see each other."""
	return locked_value(
		"""select count(*) from `tabReward Redemption`
		where member = %s and docstatus = 1 and external_reference like %s""",
		(member, f"flash:{sale_name}:%"),
	)
