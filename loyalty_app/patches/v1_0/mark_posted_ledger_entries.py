"""Ledger entries now record the liability posting that took them: mark those of the days posted so far."""

import frappe

from loyalty_app.insight.services.accounting import company_condition


def execute():
	for posting in frappe.get_all("Points Liability Posting", fields=["name", "company", "posting_date"]):
		condition, values = company_condition(posting.company)
		frappe.db.sql(
			f"""update `tabPoints Ledger Entry` set liability_posting = %s
			where liability_posting is null and posting_datetime >= %s
			and posting_datetime < %s + interval 1 day and {condition}""",
			[posting.name, posting.posting_date, posting.posting_date, *values],
		)
