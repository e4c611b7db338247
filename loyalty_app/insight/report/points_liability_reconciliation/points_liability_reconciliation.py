"""For each company with points accounting: ledger points × value against the liability account."""

from frappe import _

from loyalty_app.insight.services.accounting import accounting_setups, reconciliation


def execute(filters: dict | None = None) -> tuple[list, list]:
	"""One row per company (or the filtered one). It compares balances as posted so far, so it has no
	store or date filter: the liability account is the company's, and posting runs up to yesterday."""
	company = (filters or {}).get("company")
	return columns(), [
		reconciliation(setup.company)
		for setup in accounting_setups()
		if not company or setup.company == company
	]


def columns() -> list[dict]:
	return [
		{
			"fieldname": "company",
			"label": _("Company"),
			"fieldtype": "Link",
			"options": "Company",
			"width": 180,
		},
		{"fieldname": "posted_through", "label": _("Posted Through"), "fieldtype": "Date", "width": 120},
		{
			"fieldname": "opening_points",
			"label": _("Opening Points (Book by Hand)"),
			"fieldtype": "Int",
			"width": 150,
		},
		{
			"fieldname": "outstanding_points",
			"label": _("Points Posted"),
			"fieldtype": "Int",
			"width": 140,
		},
		{
			"fieldname": "waiting_points",
			"label": _("Points Waiting for the Next Posting"),
			"fieldtype": "Int",
			"width": 170,
		},
		{"fieldname": "ledger_value", "label": _("Ledger Value"), "fieldtype": "Currency", "width": 140},
		{
			"fieldname": "liability_balance",
			"label": _("Liability Account Balance"),
			"fieldtype": "Currency",
			"width": 170,
		},
		{"fieldname": "difference", "label": _("Difference"), "fieldtype": "Currency", "width": 120},
	]
