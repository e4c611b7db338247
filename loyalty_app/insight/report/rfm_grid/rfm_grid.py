"""Members by recency score (rows, 5 = bought most recently) and frequency score (columns), from the
nightly RFM scores, with the average monetary score of each cell: the classic RFM grid.

Filters: company and home store (members); the date range limits members to those who joined in it.
"""

import frappe
from frappe import _
from frappe.utils import flt

from loyalty_app.insight.services.report_filters import member_scope, within_period

SCORES = range(1, 6)


def execute(filters: dict | None = None):
	filters = filters or {}
	where = within_period(member_scope(filters), filters, "m.join_date").add(
		"coalesce(m.rfm_scores, '') <> ''"
	)
	cells = frappe.db.sql(
		f"""select substring_index(m.rfm_scores, '-', 1) as r,
			substring_index(substring_index(m.rfm_scores, '-', 2), '-', -1) as f,
			count(*) as members, avg(substring_index(m.rfm_scores, '-', -1)) as m
		from `tabLoyalty Member` m where {where} group by r, f""",
		where.values,
		as_dict=True,
	)
	by_cell = {(int(c.r), int(c.f)): c for c in cells}
	rows = []
	for recency in reversed(SCORES):
		row = {"recency": recency}
		for frequency in SCORES:
			cell = by_cell.get((recency, frequency))
			row[f"f{frequency}"] = cell.members if cell else 0
			row[f"m{frequency}"] = flt(cell.m, 1) if cell else None
		rows.append(row)
	return columns(), rows


def columns() -> list[dict]:
	grid = [{"fieldname": "recency", "label": _("Recency Score"), "fieldtype": "Int", "width": 120}]
	for frequency in SCORES:
		grid.append(
			{
				"fieldname": f"f{frequency}",
				"label": _("Frequency {0}: Members").format(frequency),
				"fieldtype": "Int",
				"width": 150,
			}
		)
		grid.append(
			{
				"fieldname": f"m{frequency}",
				"label": _("Frequency {0}: Avg Monetary").format(frequency),
				"fieldtype": "Float",
				"width": 170,
			}
		)
	return grid
