"""Member days (会员日): on a recurring day, extra points and a discount for members of the chosen tiers.

A Member Day keeps two kinds of native documents in step with itself:
- Earning Rules (one per tier, or one for everyone) that repeat on the day and multiply the points; the
  earning engine applies them only on a matching posting date and tier.
- One ERPNext Pricing Rule (every item group, discount percentage) whose condition holds only on invoices
  that `mark_invoice` marked: before validation each Sales / POS Invoice lists the member days that apply
  to its posting date and its member's tier in `loyalty_member_days`, so ERPNext's own pricing applies the
  discount on that day and tier only, for any posting date and without a daily job.
"""

import json
from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate

from loyalty_app.loyalty.doctype.earning_rule.earning_rule import clear_rule_cache
from loyalty_app.loyalty.services.sales import recurrence_of
from loyalty_app.utils import drop_cached, save_kept_document

MEMBER_DAY = "Member Day"
CACHE_KEY = "loyalty_app:member_days"


def validate(day) -> None:
	try:
		recurrence_of(day)
	except ValueError:
		frappe.throw(_("Set a day of the month from 1 to 31, or a weekday"))
	if day.valid_from and day.valid_to and getdate(day.valid_from) > getdate(day.valid_to):
		frappe.throw(_("Valid From must be on or before Valid To"))
	if (day.points_multiplier or 0) < 0:
		frappe.throw(_("The points multiplier cannot be negative"))
	if not 0 <= (day.discount_percentage or 0) <= 100:
		frappe.throw(_("The discount must be between 0 and 100 percent"))


def sync(day) -> None:
	"""After save: the day's earning rules and pricing rule as the day now says."""
	sync_earning_rules(day)
	day.db_set("pricing_rule", sync_pricing_rule(day), update_modified=False)
	drop_cached(CACHE_KEY)


def remove(day) -> None:
	for rule in frappe.get_all("Earning Rule", filters={"member_day": day.name}, pluck="name"):
		frappe.delete_doc("Earning Rule", rule, ignore_permissions=True)
	if day.pricing_rule:
		frappe.db.set_value(MEMBER_DAY, day.name, "pricing_rule", None)
		frappe.delete_doc("Pricing Rule", day.pricing_rule, ignore_permissions=True, force=True)
	drop_cached(CACHE_KEY)
	clear_rule_cache()


def tiers_of(day) -> list[str]:
	return [row.tier for row in day.tiers]


def sync_earning_rules(day) -> None:
	wanted = {}
	if day.enabled and (day.points_multiplier or 1) != 1:
		for tier in tiers_of(day) or [None]:
			wanted[f"{day.name} · {tier}" if tier else day.name] = tier
	for rule in frappe.get_all("Earning Rule", filters={"member_day": day.name}, pluck="name"):
		if rule not in wanted:
			frappe.delete_doc("Earning Rule", rule, ignore_permissions=True)
	for rule_name, tier in wanted.items():
		save_kept_document(
			"Earning Rule",
			frappe.db.exists("Earning Rule", rule_name),
			{
				"rule_name": rule_name,
				"applies_to": "Purchases",
				"enabled": 1,
				"priority": day.earning_priority or 0,
				"stackable": 1,
				"multiplier": day.points_multiplier,
				"tier": tier,
				"valid_from": day.valid_from,
				"valid_to": day.valid_to,
				"repeats": day.repeats,
				"repeat_day": day.repeat_day,
				"repeat_weekday": day.repeat_weekday,
				"member_day": day.name,
				"description": _("Kept by Member Day {0}").format(day.name),
			},
		)
	clear_rule_cache()


def sync_pricing_rule(day) -> str | None:
	if not day.discount_percentage and not day.pricing_rule:
		return None
	return save_kept_document(
		"Pricing Rule",
		day.pricing_rule,
		{
			"title": _("Member day {0}").format(day.name),
			"apply_on": "Item Group",
			"price_or_product_discount": "Price",
			"selling": 1,
			"company": day.company,
			"valid_from": day.valid_from,
			"valid_upto": day.valid_to,
			"rate_or_discount": "Discount Percentage",
			"discount_percentage": day.discount_percentage,
			"condition": condition_for(day.name),
			"disable": 0 if day.enabled and day.discount_percentage else 1,
			"item_groups": [{"item_group": root_item_group()}],
		},
	).name


def condition_for(day_name: str) -> str:
	"""The Pricing Rule condition ERPNext evaluates against the invoice (see mark_invoice)."""
	return f'{json.dumps(marker(day_name))} in (loyalty_member_days or "")'


def marker(day_name: str) -> str:
	return f"|{day_name}|"


def root_item_group() -> str:
	return frappe.db.get_value("Item Group", {"is_group": 1, "parent_item_group": ("in", ("", None))})


def mark_invoice(invoice) -> None:
	"""Before validation: the member days that apply to this invoice's date and member's tier."""
	member = invoice.get("loyalty_member")
	tier = frappe.db.get_value("Loyalty Member", member, "tier") if member and enabled_days() else None
	invoice.loyalty_member_days = invoice_marker(tier, getdate(invoice.posting_date)) if member else ""


def invoice_marker(tier: str | None, on_date: date) -> str:
	"""What an invoice of a member of this tier lists on this date (the Pricing Rules' conditions read it)."""
	return "".join(marker(day) for day in days_for(on_date, tier)) if enabled_days() else ""


def days_for(on_date: date, tier: str | None) -> list[str]:
	"""Enabled member days on this date for a member of this tier."""
	return [
		day["name"]
		for day in enabled_days()
		if day["recurrence"].occurs_on(on_date)
		and (not day["valid_from"] or day["valid_from"] <= on_date)
		and (not day["valid_to"] or on_date <= day["valid_to"])
		and (not day["tiers"] or tier in day["tiers"])
	]


def next_member_day(tier: str | None, after: date) -> dict | None:
	"""The member's next member day on or after a date, with its offers (for the portal)."""
	upcoming = [
		(day["recurrence"].next_on_or_after(max(after, day["valid_from"] or after)), day)
		for day in enabled_days()
		if not day["tiers"] or tier in day["tiers"]
	]
	upcoming = [(on, day) for on, day in upcoming if not day["valid_to"] or on <= day["valid_to"]]
	if not upcoming:
		return None
	on, day = min(upcoming, key=lambda pair: pair[0])
	return {
		"member_day": day["name"],
		"date": on,
		"points_multiplier": day["points_multiplier"],
		"discount_percentage": day["discount_percentage"],
	}


def enabled_days() -> list[dict]:
	return frappe.cache.get_value(CACHE_KEY, generator=_load_days)


def _load_days() -> list[dict]:
	days = frappe.get_all(
		MEMBER_DAY,
		filters={"enabled": 1},
		fields=[
			"name",
			"repeats",
			"repeat_day",
			"repeat_weekday",
			"valid_from",
			"valid_to",
			"points_multiplier",
			"discount_percentage",
		],
	)
	tiers = frappe.get_all("Member Day Tier", filters={"parenttype": MEMBER_DAY}, fields=["parent", "tier"])
	return [
		{
			**day,
			"recurrence": recurrence_of(day),
			"valid_from": getdate(day.valid_from) if day.valid_from else None,
			"valid_to": getdate(day.valid_to) if day.valid_to else None,
			"tiers": {row.tier for row in tiers if row.parent == day.name},
		}
		for day in days
	]
