"""What a member's sales invoice or POS invoice does to their points, tier and purchase figures.

- A sale earns points by the earning rules on the part of each line paid with money, and may pay part of
  the invoice with points through the "Loyalty Points" mode of payment (redeemed FIFO under a row lock).
- A return (credit note) takes back what the original invoice caused (its earn and the bonuses it brought)
  pro rata to the amount returned, and may refund in points at most the points the original was paid
  with, pro rata, less what earlier returns refunded: cash never turns into points.
- A cancel reverses everything the invoice caused. POS invoices consolidated into a sales invoice earn on
  the POS invoice only; the consolidated invoice posts nothing, and a return against it is refused (the
  goods go back on a return against the POS invoice that sold them).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import cint, flt, get_datetime, getdate

from loyalty_app.engine.engagement import Recurrence, Repeats
from loyalty_app.engine.points import clawback_points
from loyalty_app.engine.rules import EarnContext, EarningRule, Line, evaluate
from loyalty_app.loyalty.services.ledger import (
	LEDGER,
	InsufficientPointsError,
	MemberNotActiveError,
	PostingRequest,
	Voucher,
	credit,
	debit,
	give_back,
	posting_allowed,
	redeemable_points,
	reverse_caused_by,
	take_back,
)
from loyalty_app.loyalty.services.members import surviving_member
from loyalty_app.loyalty.services.settings import ProgrammeSettings, get_settings
from loyalty_app.loyalty.services.tiers import all_tiers

MEMBER = "Loyalty Member"
REDEMPTION_ACCOUNT = "Loyalty Points Redemption"


def voucher_of(invoice) -> Voucher:
	return Voucher(invoice.doctype, invoice.name, invoice.company)


def posting_datetime_of(invoice):
	return get_datetime(f"{invoice.posting_date} {invoice.posting_time or '00:00:00'}")


def channel_of(invoice) -> str:
	if invoice.doctype == "POS Invoice":
		return "Store"
	return invoice.get("loyalty_channel") or "Store"


def posts_loyalty(invoice) -> bool:
	return bool(invoice.get("loyalty_member")) and not invoice.get("is_consolidated")


class ConsolidatedReturnError(frappe.ValidationError):
	pass


class PointsRefundTooLargeError(frappe.ValidationError):
	pass


def refuse_return_against_consolidated(invoice) -> None:
	"""Before validation: a member's credit note against a consolidated Sales Invoice is refused, since
	the points were earned on the POS Invoices it merged; the return is made against those instead."""
	if not (invoice.is_return and invoice.return_against and invoice.get("loyalty_member")):
		return
	if invoice.get("is_consolidated") or invoice.doctype != "Sales Invoice":
		return
	if frappe.db.get_value("Sales Invoice", invoice.return_against, "is_consolidated"):
		frappe.throw(
			_(
				"Sales Invoice {0} consolidates POS Invoices, which earned the member's points. "
				"Make the return against the POS Invoice that sold the goods (at the POS or from the POS "
				"Invoice), so its points are taken back."
			).format(invoice.return_against),
			ConsolidatedReturnError,
			title=_("Return against a consolidated invoice"),
		)


# Redemption as payment


def prepare_points_payment(invoice) -> None:
	"""Before validation: check the points asked for and set the Loyalty Points payment row to their value."""
	points = cint(invoice.get("loyalty_points_redeemed"))
	settings = get_settings()
	if invoice.is_return and points:
		frappe.throw(_("A return cannot redeem points; the points paid are given back when it is submitted"))
	if invoice.get("is_consolidated") or invoice.is_return:
		# their Loyalty Points rows carry payments already made (or refunded): leave them as they are
		return
	if not points:
		_remove_points_payment(invoice, settings)
		return
	if points < 0:
		frappe.throw(_("Points to redeem must be a positive whole number"))
	if not invoice.get("loyalty_member"):
		frappe.throw(
			_("Customer {0} is not a loyalty member, so no points can be redeemed").format(invoice.customer)
		)
	if not invoice.is_pos:
		frappe.throw(_("Tick Include Payment (POS) to pay part of this invoice with points"))
	status = frappe.db.get_value(MEMBER, invoice.loyalty_member, "status")
	if status != "Active":
		frappe.throw(
			_("Member {0} is {1} and cannot redeem points").format(invoice.loyalty_member, _(status)),
			MemberNotActiveError,
		)
	available = redeemable_points(invoice.loyalty_member, getdate(invoice.posting_date))
	if points > available:
		frappe.throw(
			_("Member {0} has {1} points available, {2} requested").format(
				invoice.loyalty_member, available, points
			),
			InsufficientPointsError,
		)
	mode_of_payment = ensure_points_mode_of_payment(invoice.company, settings)
	amount = redemption_value(points, settings, invoice)
	row = next((p for p in invoice.payments if p.mode_of_payment == mode_of_payment), None)
	if not row:
		row = invoice.append("payments", {"mode_of_payment": mode_of_payment})
	row.amount = amount
	row.account = frappe.db.get_value(
		"Mode of Payment Account", {"parent": mode_of_payment, "company": invoice.company}, "default_account"
	)


def redemption_value(points: int, settings: ProgrammeSettings, invoice) -> float:
	"""Points × point value, rounded to the payment amount's currency precision as ERPNext rounds money."""
	precision = invoice.payments[0].precision("amount") if invoice.payments else 2
	return flt(Decimal(points) * settings.point_value, precision)


def _remove_points_payment(invoice, settings: ProgrammeSettings) -> None:
	for row in [
		p for p in invoice.get("payments", []) if p.mode_of_payment == settings.redemption_mode_of_payment
	]:
		invoice.remove(row)


def ensure_points_mode_of_payment(company: str, settings: ProgrammeSettings | None = None) -> str:
	"""The Loyalty Points mode of payment with an expense account for the company (created if missing)."""
	settings = settings or get_settings()
	name = settings.redemption_mode_of_payment
	mode_of_payment = frappe.get_doc("Mode of Payment", name)
	if not any(row.company == company for row in mode_of_payment.accounts):
		mode_of_payment.append(
			"accounts", {"company": company, "default_account": _redemption_account(company)}
		)
		mode_of_payment.flags.ignore_permissions = True
		mode_of_payment.save()
	return name


def _redemption_account(company: str) -> str:
	if account := frappe.db.get_value("Account", {"company": company, "account_name": REDEMPTION_ACCOUNT}):
		return account
	parent = frappe.db.get_value(
		"Account", {"company": company, "account_name": "Indirect Expenses", "is_group": 1}
	) or frappe.db.get_value("Account", {"company": company, "root_type": "Expense", "is_group": 1})
	account = frappe.get_doc(
		{
			"doctype": "Account",
			"account_name": REDEMPTION_ACCOUNT,
			"company": company,
			"parent_account": parent,
			"account_type": "Expense Account",
		}
	)
	account.flags.ignore_permissions = True
	account.insert()
	return account.name


# Submit and cancel


@dataclass(frozen=True)
class Purchase:
	"""What a purchase earned: what the campaigns, the tier and the referral (first paid purchase) go on."""

	member: str
	voucher: Voucher
	points: int
	on_date: date
	first_paid: bool


def record_sale(invoice) -> Purchase | None:
	"""Pay with points, count the purchase and earn; None when the member cannot earn (not active)."""
	settings = get_settings()
	voucher = voucher_of(invoice)
	posted_at = posting_datetime_of(invoice)
	redeemed = cint(invoice.get("loyalty_points_redeemed"))
	if redeemed:
		debit(
			invoice.loyalty_member,
			redeemed,
			"Redeem",
			voucher,
			key=f"{voucher.doctype}:{voucher.name}:redeem",
			posting_datetime=posted_at,
		)
	lines, spend = invoice_lines(invoice, settings, redeemed)
	if frappe.db.get_value(MEMBER, invoice.loyalty_member, "status") != "Active":
		# a frozen or closed member's sale goes through; it just earns nothing
		_add_purchase(invoice.loyalty_member, spend, getdate(posted_at))
		return None
	purchase = record_purchase(invoice.loyalty_member, voucher, posted_at, lines, spend, channel_of(invoice))
	invoice.db_set("loyalty_points_earned", purchase.points, update_modified=False)
	return purchase


def record_purchase(
	member: str, voucher: Voucher, posted_at, lines: list[Line], spend: float, channel: str
) -> Purchase:
	"""Earn for a purchase from any channel and count it (the bonuses and tier follow, see integrations)."""
	on_date = getdate(posted_at)
	points = points_for_lines(member, lines, on_date, channel)
	earned = credit(
		member,
		points,
		"Earn",
		voucher,
		key=f"{voucher.doctype}:{voucher.name}:earn",
		posting_datetime=posted_at,
		qualifying_points=points,
		qualifying_amount=spend,
		daily_cap=True,
	)
	points = frappe.db.get_value(LEDGER, earned, "points") if earned else 0
	first_purchase = not frappe.db.get_value(MEMBER, member, "purchase_count")
	_add_purchase(member, spend, on_date)
	return Purchase(member, voucher, points, on_date, first_paid=first_purchase and spend > 0)


def invoice_lines(invoice, settings: ProgrammeSettings, redeemed_points: int = 0) -> tuple[list[Line], float]:
	"""The invoice's lines and the spend that counts for tiers: only the part paid with money."""
	total = Decimal(str(invoice.base_net_total or 0))
	redeemed_value = Decimal(redeemed_points) * settings.point_value
	grand_total = Decimal(str(invoice.base_grand_total or 0))
	paid_share = 1 - min(redeemed_value / grand_total, Decimal(1)) if grand_total > 0 else Decimal(0)
	lines = [
		Line(
			item_code=item.item_code,
			amount=Decimal(str(item.base_net_amount or 0)) * paid_share,
			item_group=item.item_group,
			brand=item.brand,
			discounted=bool(item.discount_percentage or item.discount_amount or item.pricing_rules),
		)
		for item in invoice.items
	]
	return lines, flt(total * paid_share, invoice.precision("base_net_total"))


def points_for_lines(member: str, lines: list[Line], on_date, channel: str) -> int:
	"""The earning rules and the member's tier multiplier applied to a purchase's lines."""
	settings = get_settings()
	tier = frappe.db.get_value(MEMBER, member, "tier")
	multiplier = next((t.earn_multiplier for t in all_tiers() if t.name == tier), 1)
	context = EarnContext(
		posting_date=getdate(on_date),
		points_per_unit=settings.points_per_currency_unit,
		rounding=settings.rounding,
		tier=tier,
		tier_multiplier=Decimal(str(multiplier or 1)),
		channel=channel,
	)
	return evaluate(lines, active_rules(), context).points


RULES_CACHE_KEY = "loyalty_app:earning_rules"


def active_rules() -> list[EarningRule]:
	"""Enabled rules, cached until a rule changes (Earning Rule clears the cache on save and delete)."""
	return frappe.cache.get_value(RULES_CACHE_KEY, generator=_load_rules)


def _load_rules() -> list[EarningRule]:
	rules = frappe.get_all(
		"Earning Rule",
		filters={"enabled": 1, "applies_to": "Purchases"},
		fields=[
			"name",
			"priority",
			"override_rate",
			"points_per_unit",
			"multiplier",
			"item_code",
			"item_group",
			"brand",
			"valid_from",
			"valid_to",
			"tier",
			"channel",
			"min_spend",
			"excludes",
			"exclude_discounted",
			"stackable",
			"repeats",
			"repeat_day",
			"repeat_weekday",
		],
	)
	return [
		EarningRule(
			name=r.name,
			priority=r.priority or 0,
			points_per_unit=Decimal(str(r.points_per_unit)) if r.override_rate else None,
			multiplier=Decimal(str(r.multiplier if r.multiplier is not None else 1)),
			item_code=r.item_code,
			item_group=r.item_group,
			brand=r.brand,
			valid_from=r.valid_from,
			valid_to=r.valid_to,
			tier=r.tier,
			channel=r.channel,
			min_spend=Decimal(str(r.min_spend or 0)),
			excludes=bool(r.excludes),
			exclude_discounted=bool(r.exclude_discounted),
			stackable=bool(r.stackable),
			recurrence=recurrence_of(r),
		)
		for r in rules
	]


def recurrence_of(rule) -> Recurrence | None:
	"""The engine's recurrence for a document with repeats / repeat_day / repeat_weekday fields."""
	if not rule.get("repeats"):
		return None
	return Recurrence(
		Repeats(rule.repeats), day=rule.get("repeat_day") or 1, weekday=rule.get("repeat_weekday") or ""
	)


def record_return(invoice) -> None:
	"""Take back what the original invoice caused pro rata to everything returned so far, and give back
	the points this return refunds through the Loyalty Points mode of payment (see `points_refund`)."""
	settings = get_settings()
	cause = voucher_of(invoice)
	original = Voucher(invoice.doctype, invoice.return_against, invoice.company)
	invoice_total, returned_total = _return_shares(invoice)
	posted_at = posting_datetime_of(invoice)
	if settings.clawback_on_return and invoice_total > 0:
		for lot in _credits_caused_by(original):
			already = _points_taken_back(lot.name, excluding=cause)
			take_back(
				lot.name,
				clawback_points(lot.points, returned_total, invoice_total, already),
				Voucher(lot.voucher_type, lot.voucher_no, lot.company, cause=cause),
				key=f"{cause.doctype}:{cause.name}:clawback:{lot.name}",
				block_shortfall=settings.block_return_shortfall,
				posting_datetime=posted_at,
				qualifying_amount=flt(invoice.base_net_total, invoice.precision("base_net_total"))
				if lot.entry_type == "Earn"
				else 0,
				remarks=_("Return {0} against {1}").format(invoice.name, invoice.return_against),
			)
	points, paid_with = points_refund(invoice)
	if points:
		request = PostingRequest(
			"credit",
			invoice.loyalty_member,
			points,
			"Reverse",
			cause,
			f"{cause.doctype}:{cause.name}:refund",
			{"posting_datetime": posted_at},
		)
		if posting_allowed(request):
			give_back(
				paid_with,
				points,
				cause,
				key=request.key,
				posting_datetime=posted_at,
				remarks=_("Points paid on {0} given back by return {1}").format(
					invoice.return_against, invoice.name
				),
			)
	_add_spend(invoice.loyalty_member, invoice.base_net_total)


def _return_shares(invoice) -> tuple[Decimal, Decimal]:
	"""The original's net total and what its submitted returns, this one included, give back of it."""
	invoice_total = frappe.db.get_value(invoice.doctype, invoice.return_against, "base_net_total") or 0
	others = frappe.db.sql(
		f"""select coalesce(sum(base_net_total), 0) from `tab{invoice.doctype}`
		where return_against = %s and is_return = 1 and docstatus = 1 and name != %s""",
		(invoice.return_against, invoice.name or ""),
	)[0][0]
	return Decimal(str(invoice_total)), abs(Decimal(str(others)) + Decimal(str(invoice.base_net_total or 0)))


def _credits_caused_by(original: Voucher) -> list:
	"""The lots an invoice caused (its earn, its campaign and referral bonuses), not its tier gift: that
	follows the tier, which is re-evaluated after the return."""
	return frappe.get_all(
		LEDGER,
		filters={
			"cause_type": original.doctype,
			"cause_name": original.name,
			"points": (">", 0),
			"reverses_entry": ("is", "not set"),
			"entry_type": ("in", ("Earn", "Bonus")),
			"voucher_type": ("!=", "Membership Tier"),
		},
		fields=["name", "points", "entry_type", "voucher_type", "voucher_no", "company"],
		order_by="creation",
	)


def _points_taken_back(lot: str, excluding: Voucher) -> int:
	result = frappe.db.sql(
		"""select coalesce(sum(-points), 0) from `tabPoints Ledger Entry` take
		where take.reverses_entry = %s and not (take.cause_type = %s and take.cause_name = %s)
		and not exists (select 1 from `tabPoints Ledger Entry` reversal where reversal.idempotency_key = concat('reverse:', take.name))""",
		(lot, excluding.doctype, excluding.name),
	)
	return int(result[0][0])


def points_refund(invoice) -> tuple[int, str | None]:
	"""The points a return refunds through the Loyalty Points mode of payment and the redemption they
	were paid with. Refused when more than the original paid with points, pro rata to what has been
	returned, less what its other returns refunded: cash never turns into points. Checked before
	validation (so nothing is written) and used on submit."""
	settings = get_settings()
	refunded = sum(
		-flt(p.amount)
		for p in invoice.get("payments", [])
		if p.mode_of_payment == settings.redemption_mode_of_payment
	)
	if refunded <= 0 or settings.point_value <= 0:
		return 0, None
	points = int(Decimal(str(refunded)) / settings.point_value)
	original = Voucher(invoice.doctype, invoice.return_against)
	redeemed = frappe.db.get_value(
		LEDGER,
		{"cause_type": original.doctype, "cause_name": original.name, "entry_type": "Redeem"},
		["name", "points"],
		as_dict=True,
	)
	paid = -redeemed.points if redeemed else 0
	invoice_total, returned_total = _return_shares(invoice)
	bound = (
		clawback_points(paid, returned_total, invoice_total, _points_refunded(invoice))
		if paid and invoice_total > 0
		else 0
	)
	if points > bound:
		frappe.throw(
			_(
				"This return refunds {0} points, but at most {1} can be refunded in points: {2} {3} was paid "
				"with {4} points and the rest with money, which is refunded as money. Lower the Loyalty "
				"Points refund to {1} points or less."
			).format(points, bound, _(original.doctype), original.name, paid),
			PointsRefundTooLargeError,
			title=_("Points refund too large"),
		)
	return points, redeemed.name


def _points_refunded(invoice) -> int:
	"""Points given back by the other submitted returns against the same invoice."""
	result = frappe.db.sql(
		f"""select coalesce(sum(e.points), 0) from `tabPoints Ledger Entry` e
		join `tab{invoice.doctype}` r on r.name = e.cause_name
		where e.cause_type = %(doctype)s and r.return_against = %(original)s and r.docstatus = 1
			and r.name != %(this)s and e.entry_type = 'Reverse' and e.points > 0""",
		{"doctype": invoice.doctype, "original": invoice.return_against, "this": invoice.name or ""},
	)
	return int(result[0][0])


def cancel_invoice(invoice) -> None:
	"""Reverse everything the invoice caused but its tier gift (re-evaluated with the tier afterwards)."""
	reverse_caused_by(
		voucher_of(invoice),
		block_shortfall=get_settings().block_return_shortfall,
		spare_voucher_types=("Membership Tier",),
	)
	member = surviving_member(invoice.loyalty_member)
	if invoice.is_return:
		_add_spend(member, -flt(invoice.base_net_total))
	else:
		recount_purchases(member)


def _add_purchase(member: str, spend: float, on_date) -> None:
	frappe.db.sql(
		"""update `tabLoyalty Member` set purchase_count = purchase_count + 1,
		total_spend = total_spend + %s,
		first_purchase_date = least(coalesce(first_purchase_date, %s), %s),
		last_purchase_date = greatest(coalesce(last_purchase_date, %s), %s) where name = %s""",
		(flt(spend), on_date, on_date, on_date, on_date, member),
	)


def _add_spend(member: str, amount: float) -> None:
	frappe.db.sql(
		"update `tabLoyalty Member` set total_spend = total_spend + %s where name = %s", (flt(amount), member)
	)


def recount_purchases(member: str) -> None:
	"""After a cancel: purchase count, spend and last purchase date again from the member's purchases
	(with those of the customers of members merged into it)."""
	customers = frappe.db.sql_list(
		"select customer from `tabLoyalty Member` where (name = %(member)s or merged_into = %(member)s)",
		{"member": member},
	)
	figures = frappe.db.sql(
		"""select count(if(is_return = 0, 1, null)), coalesce(sum(base_net_total), 0),
			max(if(is_return = 0, posting_date, null)), min(if(is_return = 0, posting_date, null))
		from (
			select is_return, base_net_total, posting_date from `tabSales Invoice`
			where customer in %(customers)s and docstatus = 1 and is_consolidated = 0
			union all
			select is_return, base_net_total, posting_date from `tabPOS Invoice`
			where customer in %(customers)s and docstatus = 1
			union all
			select 0, amount, transaction_date from `tabExternal Transaction`
			where member = %(member)s and transaction_type = 'Earn' and status = 'Posted'
		) purchases""",
		{"customers": tuple(customers) or ("",), "member": member},
	)[0]
	frappe.db.set_value(
		MEMBER,
		member,
		{
			"purchase_count": figures[0],
			"total_spend": figures[1],
			"last_purchase_date": figures[2],
			"first_purchase_date": figures[3],
		},
		update_modified=False,
	)
