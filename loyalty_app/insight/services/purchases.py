"""A member's purchases, read from the sales documents rather than the points ledger.

An invoice is a member's purchase when its *Loyalty Member* field is set: the invoice events set it on
every Sales and POS Invoice of a member in a live store (frozen members and lines that earn nothing
included), and the history backfill sets it on the invoices from before the app. Consolidated Sales
Invoices are left out (their POS Invoices count), and external orders posted through the API count too.
A merged member's purchases count for the member it was merged into.
"""

PURCHASES_SQL = """
	select coalesce(m.merged_into, m.name) as member, i.posting_date, i.base_net_total as amount, i.is_return
	from `tabSales Invoice` i join `tabLoyalty Member` m on m.name = i.loyalty_member
	where i.docstatus = 1 and i.is_consolidated = 0 and i.posting_date >= %(since)s
		and i.posting_date <= %(until)s
	union all
	select coalesce(m.merged_into, m.name), i.posting_date, i.base_net_total, i.is_return
	from `tabPOS Invoice` i join `tabLoyalty Member` m on m.name = i.loyalty_member
	where i.docstatus = 1 and i.posting_date >= %(since)s and i.posting_date <= %(until)s
	union all
	select coalesce(m.merged_into, m.name), date(t.transaction_date), t.amount, 0
	from `tabExternal Transaction` t join `tabLoyalty Member` m on m.name = t.member
	where t.transaction_type = 'Earn' and t.status = 'Posted'
		and date(t.transaction_date) >= %(since)s and date(t.transaction_date) <= %(until)s
"""


def member_purchases_sql() -> str:
	"""Per member between %(since)s and %(until)s: purchases (returns do not count), net spend (returns
	subtracted), first and last purchase date."""
	return f"""
		select member, count(if(is_return = 0, 1, null)) as purchases, sum(amount) as spend,
			min(if(is_return = 0, posting_date, null)) as first_purchase,
			max(if(is_return = 0, posting_date, null)) as last_purchase
		from ({PURCHASES_SQL}) purchase
		group by member"""
