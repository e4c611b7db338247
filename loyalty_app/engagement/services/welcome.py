"""Welcome packs (欢迎礼包): a bundle of points, coupons and a reward voucher given once per member on
enrolment, whatever the channel (desk, POS, portal, API: every enrolment inserts a Loyalty Member), and
once per member and tier on an upgrade into that tier.

Exactly once: each issue first inserts a Welcome Pack Issue row whose `issue_key` (pack and member) is a
unique index, so a retried enrolment, a replayed hook or two sessions at once find or collide with the
first row and give nothing more; the points carry the same key into the ledger.
"""

import frappe
from frappe import _

from loyalty_app.loyalty.services.ledger import Voucher, credit
from loyalty_app.rewards.services.coupons import issue_code

ISSUE = "Welcome Pack Issue"


def on_member_enrolled(member, method=None) -> None:
	for pack in frappe.get_all("Welcome Pack", filters={"enabled": 1, "trigger": "Enrolment"}, pluck="name"):
		issue(pack, member.name)


def on_tier_change(change, method=None) -> None:
	if change.change_type != "Upgrade":
		return
	for pack in frappe.get_all(
		"Welcome Pack",
		filters={"enabled": 1, "trigger": "Tier upgrade", "tier": change.to_tier},
		pluck="name",
	):
		issue(pack, change.member)


def issue(pack_name: str, member: str) -> str:
	"""Give the pack to the member unless they already had it; returns the Welcome Pack Issue."""
	key = f"welcome:{pack_name}:{member}"
	if existing := frappe.db.get_value(ISSUE, {"issue_key": key}):
		return existing
	pack = frappe.get_cached_doc("Welcome Pack", pack_name)
	record = frappe.get_doc({"doctype": ISSUE, "member": member, "welcome_pack": pack.name, "issue_key": key})
	record.insert(ignore_permissions=True)
	voucher = Voucher(ISSUE, record.name, cause=Voucher("Loyalty Member", member))
	if pack.points:
		credit(
			member,
			pack.points,
			"Bonus",
			voucher,
			key=f"{key}:points",
			remarks=_("Welcome pack {0}").format(pack.name),
		)
	codes = [issue_code(row.coupon_campaign, member) for row in pack.coupon_campaigns]
	redemption = free_redemption(pack.reward, member, f"{key}:reward") if pack.reward else None
	record.db_set(
		{"points": pack.points or 0, "coupon_codes": "\n".join(codes), "reward_redemption": redemption}
	)
	return record.name


def free_redemption(reward: str, member: str, reference: str) -> str:
	"""The reward redeemed for the member free of points (a prize or a gift), fulfilled as usual."""
	redemption = frappe.get_doc(
		{
			"doctype": "Reward Redemption",
			"member": member,
			"reward": reward,
			"quantity": 1,
			"external_reference": reference,
		}
	)
	redemption.flags.free_of_points = True
	redemption.flags.ignore_permissions = True
	redemption.insert()
	redemption.submit()
	return redemption.name
