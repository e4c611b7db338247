"""Customer lifetime value and acquisition cost, refreshed on every member by a nightly set-based job.

Lifetime value is the historical gross margin of the member's purchases: per line, net amount less the
valuation of what left stock (Sales Invoice Item incoming_rate), or the net amount where no valuation is
known (services, non-stock items, POS Invoices not yet consolidated). Returns count negative. The same
sum as engine.value.lifetime_value (a test holds the two to agreement).

Acquisition cost per channel: the actual cost of member events marked as recruiting for that channel
plus sign-up and referral bonus points (both sides) valued at the point value, over the channel's members.
"""

from datetime import date

import frappe
from frappe.utils import getdate

from loyalty_app.loyalty.services.settings import get_settings

VALUE_CHUNK = 10_000

SALE_LINES = """
	select si.customer, i.base_net_amount as net, i.stock_qty as qty, i.incoming_rate as rate
	from `tabSales Invoice` si join `tabSales Invoice Item` i on i.parent = si.name and i.parenttype = 'Sales Invoice'
	where si.docstatus = 1 {customer_condition}
	union all
	select pi.customer, i.base_net_amount, i.stock_qty, 0 from `tabPOS Invoice` pi
	join `tabPOS Invoice Item` i on i.parent = pi.name and i.parenttype = 'POS Invoice'
	where pi.docstatus = 1 and coalesce(pi.consolidated_invoice, '') = '' {pos_customer_condition}"""

MARGIN = "sum(case when sale.rate > 0 then sale.net - sale.rate * sale.qty else sale.net end)"


def acquisition_costs(from_date: date | None = None, to_date: date | None = None) -> dict[str, dict]:
	"""Per channel: cost (events + sign-up/referral bonuses), members acquired and cost per member,
	for members who joined in the period (all time without dates)."""
	period = {"from_date": from_date or date(1900, 1, 1), "to_date": to_date or date(9999, 12, 31)}
	costs: dict[str, float] = {}
	for channel, cost in frappe.db.sql(
		"""select acquisition_channel, sum(actual_cost) from `tabMember Event`
		where coalesce(acquisition_channel, '') <> '' and status <> 'Cancelled'
			and date(starts_on) between %(from_date)s and %(to_date)s group by acquisition_channel""",
		period,
	):
		costs[channel] = costs.get(channel, 0) + float(cost or 0)
	for channel, points in frappe.db.sql(
		"""select m.channel, sum(e.points) from `tabPoints Ledger Entry` e
		join `tabPoints Campaign` c on c.name = e.voucher_no and e.voucher_type = 'Points Campaign'
		join `tabLoyalty Member` m on m.name = substring_index(e.idempotency_key, ':', -1)
		where c.campaign_type in ('Sign-up Bonus', 'Referral Bonus') and e.entry_type = 'Bonus'
			and m.join_date between %(from_date)s and %(to_date)s group by m.channel""",
		period,
	):
		costs[channel] = costs.get(channel, 0) + float(points or 0) * float(get_settings().point_value)
	members = dict(
		frappe.db.sql(
			"""select channel, count(*) from `tabLoyalty Member`
			where join_date between %(from_date)s and %(to_date)s group by channel""",
			period,
		)
	)
	return {
		channel: {
			"cost": round(costs.get(channel, 0), 2),
			"members": members.get(channel, 0),
			"cost_per_member": round(costs.get(channel, 0) / members[channel], 2)
			if members.get(channel)
			else 0,
		}
		for channel in set(costs) | set(members)
	}


def refresh_member_value(today: date | None = None) -> int:
	"""Nightly: lifetime revenue, lifetime value and the channel's acquisition cost on every member,
	in chunks of members (keyset by name), one UPDATE ... JOIN and one transaction per chunk."""
	today = getdate(today)
	per_channel = acquisition_costs()
	channel_cost = " ".join(f"when %(channel_{i})s then %(cost_{i})s" for i in range(len(per_channel)))
	params = {"today": today}
	for i, (channel, figures) in enumerate(per_channel.items()):
		params[f"channel_{i}"], params[f"cost_{i}"] = channel, figures["cost_per_member"]
	after, updated = "", 0
	while True:
		last = frappe.db.sql(
			"""select max(name) from (select name from `tabLoyalty Member` where name > %s
			order by name limit %s) chunk""",
			(after, VALUE_CHUNK),
		)[0][0]
		if not last:
			break
		chunk = "select customer from `tabLoyalty Member` where name > %(after)s and name <= %(last)s"
		lines = SALE_LINES.format(
			customer_condition=f"and si.customer in ({chunk})",
			pos_customer_condition=f"and pi.customer in ({chunk})",
		)
		frappe.db.sql(
			f"""update `tabLoyalty Member` m left join (
				select sale.customer, sum(sale.net) as revenue, {MARGIN} as margin from ({lines}) sale
				group by sale.customer
			) v on v.customer = m.customer
			set m.lifetime_revenue = coalesce(v.revenue, 0), m.customer_lifetime_value = coalesce(v.margin, 0),
				m.acquisition_cost = {f"case m.channel {channel_cost} else 0 end" if per_channel else "0"},
				m.value_refreshed_on = %(today)s
			where m.name > %(after)s and m.name <= %(last)s""",
			{**params, "after": after, "last": last},
		)
		updated += frappe.db.sql("select row_count()")[0][0]
		frappe.db.commit()  # nosemgrep: one transaction per chunk keeps the job restartable
		after = last
	return updated
