"""Points Ledger Entry got a cause (the business document behind each entry) and the balance now counts
the points debt (balance = sum of entries = lot remainders - debt).

Existing rows: where the voucher is the business document, the cause is the voucher; a double-points
bonus names its invoice in its idempotency key; sign-up, profile, birthday, referral (whose purchase
was not recorded), tier-gift and welcome-pack bonuses and expiries are caused by the member; opening
balances by their import batch (their voucher). Members who owe points get one entry of minus their debt (no lot), so their balance and
the sum of their entries count it like every later take-back does.
"""

import frappe
from frappe.utils import now_datetime


def execute():
	ledger = "`tabPoints Ledger Entry`"
	frappe.db.sql(
		f"""update {ledger} set cause_type = 'Sales Invoice',
			cause_name = substring_index(idempotency_key, ':', -1)
		where cause_name is null and idempotency_key like 'double:%%:Sales Invoice:%%'"""
	)
	frappe.db.sql(
		f"""update {ledger} set cause_type = 'POS Invoice',
			cause_name = substring_index(idempotency_key, ':', -1)
		where cause_name is null and idempotency_key like 'double:%%:POS Invoice:%%'"""
	)
	frappe.db.sql(
		f"""update {ledger} set cause_type = 'Loyalty Member', cause_name = member
		where cause_name is null and (voucher_type is null or voucher_type in
			('Points Campaign', 'Membership Tier', 'Welcome Pack Issue'))"""
	)
	frappe.db.sql(
		f"""update {ledger} set cause_type = voucher_type, cause_name = voucher_no where cause_name is null"""
	)
	now, user = now_datetime(), frappe.session.user
	frappe.db.sql(
		f"""insert into {ledger} (name, creation, modified, owner, modified_by, docstatus, member, entry_type,
			points, posting_datetime, cause_type, cause_name, idempotency_key, remaining_points, debt_points,
			settles_debt, qualifying_points, qualifying_amount, remarks)
		select left(sha2(concat('debt-in-balance:', m.name), 256), 20), %(now)s, %(now)s, %(user)s, %(user)s,
			0, m.name, 'Reverse', -m.points_debt, %(now)s, 'Loyalty Member', m.name,
			concat('debt-in-balance:', m.name), 0, 0, 0, 0, 0, 'Points debt counted in the balance'
		from `tabLoyalty Member` m where m.points_debt > 0 and not exists (select 1 from {ledger} e
			where e.idempotency_key = concat('debt-in-balance:', m.name))""",
		{"now": now, "user": user},
	)
	frappe.db.sql(
		"""update `tabLoyalty Member` m join `tabPoints Ledger Entry` e
			on e.idempotency_key = concat('debt-in-balance:', m.name) and e.creation = %(now)s
		set m.points_balance = m.points_balance - m.points_debt""",
		{"now": now},
	)
