"""Nightly RFM: recency, frequency and monetary quintiles over the settings' window, and the segment.

Purchases come from the sales documents (insight.services.purchases), so a frozen member's purchases
and lines that earn no points count as well; monetary is the net spend after returns.

Set-based: one query scores every member who bought in the window and names
the segment with the rules of engine.rfm.segment (a test holds the two to agreement); one UPDATE writes
them; members without a purchase in the window are cleared, or marked Lost if they ever bought.
A score is the quintile of the member's value among the N members scored, counted with ties:
ceil(5 × (members with the same or a lower value) / N), so members with the same figures get the same
score (NTILE would split a tie across two quintiles by member name).
"""

from datetime import date

import frappe
from frappe.utils import add_months, getdate

from loyalty_app.insight.services.purchases import member_purchases_sql

SEGMENT_SQL = """
	case
		when r >= 4 and f >= 4 then 'Champions'
		when r <= 2 and f >= 4 and m >= 4 then 'Can''t lose'
		when r <= 2 and f >= 3 then 'At risk'
		when r >= 3 and f >= 3 then 'Loyal'
		when r >= 4 and f = 1 then 'New'
		when r >= 3 then 'Potential'
		when r = 1 then 'Lost'
		else 'Hibernating'
	end"""


def quintile(column: str) -> str:
	"""SQL for the 1-5 quintile of `column` among the rows scored, ties scoring alike (in whole numbers)."""
	return f"(5 * count(*) over (order by {column}) + count(*) over () - 1) div count(*) over ()"


def refresh_rfm(today: date | None = None) -> int:
	"""Returns how many members were scored."""
	today = getdate(today)
	months = frappe.db.get_single_value("Loyalty Settings", "rfm_window_months") or 12
	params = {"since": add_months(today, -months), "until": today}
	frappe.db.commit()  # nosemgrep: the work table is DDL, which Frappe allows only between transactions
	frappe.db.sql("drop temporary table if exists loyalty_rfm")
	frappe.db.sql(
		f"""create temporary table loyalty_rfm (primary key (member)) as
		select member, r, f, m, {SEGMENT_SQL} as segment from (
			select member,
				{quintile("last_purchase")} as r,
				{quintile("purchases")} as f,
				{quintile("spend")} as m
			from (
				select member, last_purchase, purchases, spend from ({member_purchases_sql()}) per_member
				where purchases > 0
			) activity
		) scored""",
		params,
	)
	scored = frappe.db.sql("select count(*) from loyalty_rfm")[0][0]
	frappe.db.sql(
		"""update `tabLoyalty Member` m left join loyalty_rfm s on s.member = m.name
		set m.rfm_segment = coalesce(s.segment, if(m.purchase_count > 0, 'Lost', null)),
			m.rfm_scores = if(s.member is null, null, concat(s.r, '-', s.f, '-', s.m))"""
	)
	frappe.db.commit()  # nosemgrep
	frappe.db.sql_ddl("drop temporary table if exists loyalty_rfm")
	return scored
