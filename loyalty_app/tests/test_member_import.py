"""Moving in from another system: Loyalty Import Batch through a CSV file and through Frappe's Data Import.

An import commits per chunk (a million rows cannot be one transaction), so every test makes its own
mobile numbers and external codes and asserts on those only.
"""

import csv
import os
import secrets
import tempfile
import threading
from datetime import timedelta

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import getdate

from loyalty_app.install import LOYALTY_USER
from loyalty_app.loyalty.services.audit import find_breaks
from loyalty_app.loyalty.services.expiry import expire_points
from loyalty_app.loyalty.services.ledger import Voucher, credit, debit
from loyalty_app.loyalty.services.member_import import (
	RAW_FIELDS,
	ImportRefusedError,
	import_batch,
	import_file,
	load_file,
	rollback_batch,
)
from loyalty_app.loyalty.services.tiers import ensure_tier
from loyalty_app.tests.utils import (
	as_user,
	assert_ledger_consistent,
	ledger,
	make_member,
	make_user,
	member_figures,
	programme,
	random_mobile,
)
from loyalty_app.trust.services.privacy import erase_member

TIER = "_LP Import Gold"


def code() -> str:
	return f"OLD-{secrets.token_hex(5)}"


def national(mobile: str) -> str:
	"""+8613912345678 -> 139 1234 5678, as an old system might have stored it."""
	digits = mobile.removeprefix("+86")
	return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


def write_csv(rows: list[dict], header: tuple[str, ...] = RAW_FIELDS) -> str:
	file = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="", encoding="utf-8")
	with file:
		writer = csv.DictWriter(file, fieldnames=header)
		writer.writeheader()
		for row in rows:
			writer.writerow(row)
	os.chmod(file.name, 0o644)
	return file.name


def remove_imports_since(start) -> None:
	"""The imports commit: take away every batch made since `start` and all it wrote, and the test tier."""
	batches = frappe.get_all("Loyalty Import Batch", filters={"creation": (">=", start)}, pluck="name")
	if batches:
		members = frappe.get_all("Loyalty Member", filters={"import_batch": ("in", batches)}, pluck="name")
		customers = frappe.get_all(
			"Loyalty Import Row",
			filters={"batch": ("in", batches), "customer_created": 1},
			pluck="customer",
		)
		entries = frappe.get_all(
			"Points Ledger Entry", filters={"member": ("in", members or [""])}, pluck="name"
		)
		frappe.db.delete("Points Ledger Allocation", {"parent": ("in", entries or [""])})
		frappe.db.delete("Points Ledger Entry", {"name": ("in", entries or [""])})
		frappe.db.delete("Member Consent", {"member": ("in", members or [""])})
		frappe.db.delete("Loyalty Member", {"name": ("in", members or [""])})
		frappe.db.delete("Customer", {"name": ("in", customers or [""])})
		frappe.db.delete("Loyalty Import Row", {"batch": ("in", batches)})
		frappe.db.delete("Loyalty Import Batch", {"name": ("in", batches)})
	frappe.db.delete("Membership Tier", {"name": TIER})
	frappe.db.commit()  # nosemgrep


def rows_of(batch: str) -> dict:
	return {
		row.row_no: row
		for row in frappe.get_all(
			"Loyalty Import Row", filters={"batch": batch}, fields=["row_no", "status", "errors", "member"]
		)
	}


def member_by_code(external_code: str) -> str | None:
	return frappe.db.get_value("Loyalty Member", {"external_member_code": external_code})


def audit_breaks(*members: str) -> list:
	"""The Ledger Audit's breaks that concern these members."""
	return [found for found in find_breaks() if found.member in members]


def run_at_once(*calls) -> list:
	"""Each call on a connection of its own, all started together; "done" or the exception each raised.

	The test's own connection commits before (the calls must see its rows) and after (to see theirs)."""
	frappe.db.commit()  # nosemgrep
	site, start = frappe.local.site, threading.Barrier(len(calls))
	outcomes = [None] * len(calls)

	def run(index: int, call) -> None:
		frappe.init(site=site)
		frappe.connect()
		frappe.set_user("Administrator")
		try:
			start.wait()
			call()
			frappe.db.commit()  # nosemgrep
			outcomes[index] = "done"
		except Exception as error:
			frappe.db.rollback()
			outcomes[index] = error
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	frappe.db.commit()  # nosemgrep
	return outcomes


def good_row(**values) -> dict:
	return {"external_member_code": code(), "member_name": "Zhao Min", "mobile_no": random_mobile(), **values}


class TestMemberImport(FrappeTestCase):
	def setUp(self):
		self.start = frappe.utils.now_datetime()

	def tearDown(self):
		remove_imports_since(self.start)

	def assert_rollback_refused(self, batch: str, reason: str) -> None:
		with self.assertRaises(ImportRefusedError) as refused:
			rollback_batch(batch)
		self.assertIn(reason, str(refused.exception))
		self.assertEqual(frappe.db.get_value("Loyalty Import Batch", batch, "status"), "Imported")

	def test_valid_rows_imported_and_each_bad_row_reported_with_nothing_written(self):
		tier = ensure_tier(TIER, rank=99, entry=10**9)
		soon, later = getdate() + timedelta(days=30), getdate() + timedelta(days=400)
		taken = make_member()
		frappe.db.commit()  # nosemgrep: the import's own transactions must see the tier and the member
		twice = random_mobile()
		good = good_row(
			email="zhao@example.com",
			birthday="1990-02-28",
			tier=tier.upper(),
			lots=f"500:{soon}; 200:{later}",
			lifetime_earned="1500",
			lifetime_redeemed="800",
			total_spend="12345.60",
			purchase_count="42",
			first_purchase_date="2019-03-01",
			last_purchase_date=str(getdate() - timedelta(days=3)),
			marketing_consent="yes",
		)
		bad = [
			good_row(mobile_no="12345"),
			good_row(mobile_no=twice),
			good_row(mobile_no=twice),
			good_row(lots="-50:2030-01-01"),
			good_row(lots=f"100:{getdate() - timedelta(days=1)}"),
			good_row(tier="No Such Tier"),
			good_row(birthday="31/02/1990"),
			good_row(mobile_no=frappe.db.get_value("Loyalty Member", taken, "mobile_no")),
			good_row(external_member_code=""),
			good_row(marketing_consent="maybe"),
		]
		with programme():
			result = import_file(write_csv([good, *bad]))

		self.assertEqual((result["imported_rows"], result["error_rows"]), (1, 10))
		errors = {row_no: row.errors for row_no, row in rows_of(result["batch"]).items()}
		self.assertIn("12345 is not a valid mobile number", errors[2])
		self.assertIn("is on rows 3, 4", errors[3])
		self.assertIn("is on rows 3, 4", errors[4])
		self.assertIn("Points cannot be negative", errors[5])
		self.assertIn("before today", errors[6])
		self.assertIn("Membership Tier No Such Tier does not exist", errors[7])
		self.assertIn("31/02/1990 is not a date", errors[8])
		self.assertIn(f"already belongs to member {taken}", errors[9])
		self.assertIn("External member code is missing", errors[10])
		self.assertIn("maybe is not yes or no", errors[11])
		for row in bad:
			if row["external_member_code"]:
				self.assertIsNone(member_by_code(row["external_member_code"]))
		self.assertIn(
			"Row 2: ", frappe.db.get_value("Loyalty Import Batch", result["batch"], "error_summary")
		)

		member = member_by_code(good["external_member_code"])
		doc = frappe.get_doc("Loyalty Member", member)
		self.assertEqual(
			(doc.points_balance, doc.lifetime_earned, doc.lifetime_redeemed, doc.points_debt),
			(700, 1500, 800, 0),
		)
		self.assertEqual((doc.tier, doc.purchase_count, float(doc.total_spend)), (tier, 42, 12345.6))
		self.assertEqual(str(doc.birthday), "1990-02-28")
		self.assertEqual((doc.status, doc.marketing_consent, doc.data_processing_consent), ("Active", 1, 0))
		self.assertEqual(doc.import_batch, result["batch"])
		doc.external_member_code, doc.member_name = "SOMEONE-ELSE", "Zhao Min Renamed"
		doc.save()
		self.assertEqual(member_by_code(good["external_member_code"]), member)
		self.assertEqual(
			frappe.db.count("Member Consent", {"member": member, "consent_type": "Marketing"}), 1
		)
		self.assertEqual(frappe.db.get_value("Customer", doc.customer, "customer_name"), "Zhao Min")
		self.assertTrue(doc.referral_code and len(doc.referral_code) == 8)
		lots = ledger(member)
		self.assertEqual(
			sorted((e.entry_type, e.points, e.remaining_points, e.expiry_date, e.voucher_no) for e in lots),
			[("Import", 200, 200, later, result["batch"]), ("Import", 500, 500, soon, result["batch"])],
		)
		assert_ledger_consistent(self, member)
		self.assertEqual(audit_breaks(member), [])

	def test_the_same_file_again_creates_nothing_twice(self):
		rows = [good_row(lots="300"), good_row(lots="")]
		path = write_csv(rows)
		with programme():
			first = import_file(path)
			again = import_file(path)

		self.assertEqual(first["imported_rows"], 2)
		self.assertEqual((again["imported_rows"], again["skipped_rows"], again["error_rows"]), (0, 2, 0))
		member = member_by_code(rows[0]["external_member_code"])
		self.assertEqual(len(ledger(member)), 1)
		self.assertEqual(member_figures(member).points_balance, 300)
		self.assertEqual(frappe.db.count("Loyalty Member", {"mobile_no": rows[0]["mobile_no"]}), 1)

	def test_erasing_an_imported_member_leaves_nothing_personal_on_their_import_row(self):
		row = good_row(email="qian@example.com", birthday="1988-08-08", lots="50")
		with programme():
			import_file(write_csv([row]))
		member = member_by_code(row["external_member_code"])
		erase_member(member, reason="Asked to be forgotten")

		kept = frappe.db.get_value(
			"Loyalty Import Row",
			{"member": member},
			["member_name", "mobile_no", "mobile_e164", "mobile_masked", "email", "birthday", "birthday_on"],
			as_dict=True,
		)
		self.assertEqual(kept.member_name, f"Erased member {member}")
		self.assertEqual({value for field, value in kept.items() if field != "member_name"}, {None})
		self.assertEqual(member_figures(member).points_balance, 50)

	def test_a_lot_without_a_date_expires_by_the_programme_and_the_expiry_job_expires_imported_lots(self):
		today = getdate()
		row = good_row(lots=f"120:{today}; 80")
		with programme(expiry_rule="Months after earning", expiry_months=12):
			import_file(write_csv([row]))
			member = member_by_code(row["external_member_code"])
			undated = frappe.db.get_value(
				"Points Ledger Entry", {"member": member, "points": 80}, "expiry_date"
			)
			self.assertEqual(undated, getdate(frappe.utils.add_days(frappe.utils.add_months(today, 12), -1)))
			expire_points(today + timedelta(days=1))

		self.assertEqual(member_figures(member).points_balance, 80)
		self.assertEqual([e.points for e in ledger(member, entry_type="Expire")], [-120])
		assert_ledger_consistent(self, member)
		self.assertEqual(audit_breaks(member), [])

	def test_all_or_nothing_imports_nothing_while_a_row_is_wrong(self):
		rows = [good_row(lots="100"), good_row(mobile_no="not a phone")]
		with programme(), self.assertRaises(ImportRefusedError):
			import_file(write_csv(rows), import_mode="All or nothing")

		self.assertIsNone(member_by_code(rows[0]["external_member_code"]))

	def test_an_existing_customer_with_the_mobile_is_linked_not_duplicated(self):
		mobile = random_mobile()
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "Existing Shopper",
				"customer_type": "Individual",
				"mobile_no": national(mobile),
			}
		).insert()
		frappe.db.commit()  # nosemgrep: the import's transactions must see the customer
		row = good_row(mobile_no=mobile, member_name="Existing Shopper", lots="10")
		with programme():
			result = import_file(write_csv([row]))

		self.assertEqual(
			frappe.db.get_value("Loyalty Member", member_by_code(row["external_member_code"]), "customer"),
			customer.name,
		)
		self.assertEqual(
			(
				result["imported_rows"],
				frappe.db.count(
					"Customer",
					{"customer_name": "Existing Shopper", "mobile_no": ("in", (mobile, national(mobile)))},
				),
			),
			(1, 1),
		)
		self.assertEqual(frappe.db.get_value("Loyalty Import Batch", result["batch"], "customers_linked"), 1)

	def test_rollback_before_any_point_is_spent_undoes_the_batch(self):
		rows = [good_row(lots="250", lifetime_earned="900"), good_row(lots="40")]
		path = write_csv(rows)
		with programme():
			result = import_file(path)
			member = member_by_code(rows[0]["external_member_code"])
			customer = frappe.db.get_value("Loyalty Member", member, "customer")
			rollback_batch(result["batch"])
			frappe.db.commit()  # nosemgrep: the re-import below runs in transactions of its own

			figures = member_figures(member)
			self.assertEqual((figures.points_balance, figures.lifetime_earned), (0, 0))
			self.assertEqual(frappe.db.get_value("Loyalty Member", member, "status"), "Closed")
			self.assertEqual(frappe.db.get_value("Customer", customer, "disabled"), 1)
			self.assertEqual([e.points for e in ledger(member, entry_type="Reverse")], [-250])
			assert_ledger_consistent(self, member)
			self.assertEqual(audit_breaks(member), [])
			self.assertEqual(
				frappe.db.get_value("Loyalty Import Batch", result["batch"], ["status", "rolled_back_rows"]),
				("Rolled Back", 2),
			)
			with self.assertRaises(ImportRefusedError):
				rollback_batch(result["batch"])

			corrected = import_file(path)
		self.assertEqual(corrected["imported_rows"], 2)
		self.assertNotEqual(member_by_code(rows[0]["external_member_code"]), member)

	def test_rollback_refused_once_an_imported_point_is_spent(self):
		rows = [good_row(lots="300"), good_row(lots="50")]
		with programme():
			result = import_file(write_csv(rows))
			member = member_by_code(rows[0]["external_member_code"])
			debit(member, 10, "Redeem", Voucher("Loyalty Member", member), key=f"test-spend:{member}")
			self.assert_rollback_refused(result["batch"], "already spent or expired")

		self.assertEqual(member_figures(member).points_balance, 290)
		other = member_by_code(rows[1]["external_member_code"])
		self.assertEqual(member_figures(other).points_balance, 50)

	def test_rollback_refused_once_a_member_has_other_activity(self):
		rows = [good_row(lots="30")]
		with programme():
			result = import_file(write_csv(rows))
			member = member_by_code(rows[0]["external_member_code"])
			credit(member, 5, "Adjust", Voucher("Loyalty Member", member), key=f"test-gift:{member}")
			self.assert_rollback_refused(result["batch"], "have other activity")

		self.assertEqual(member_figures(member).points_balance, 35)

	def test_two_imports_of_the_same_file_at_once_create_each_member_once(self):
		rows = [good_row(lots="100"), good_row(lots="200"), good_row(lots="300")]
		path = write_csv(rows)
		batches = []
		for number in (1, 2):
			batch = frappe.get_doc({"doctype": "Loyalty Import Batch", "title": f"Twin {number}"}).insert()
			frappe.db.commit()  # nosemgrep: the other connections must see the batch
			load_file(batch.name, path)
			batches.append(batch.name)

		run_at_once(*(lambda batch=batch: import_batch(batch) for batch in batches))

		counts = [
			frappe.db.get_value("Loyalty Import Batch", batch, ["imported_rows", "skipped_rows"])
			for batch in batches
		]
		self.assertEqual(sum(imported for imported, _skipped in counts), 3)
		self.assertEqual(sum(skipped for _imported, skipped in counts), 3)
		for row in rows:
			members = frappe.get_all(
				"Loyalty Member", filters={"external_member_code": row["external_member_code"]}, pluck="name"
			)
			self.assertEqual(len(members), 1)
			self.assertEqual(len(ledger(members[0])), 1)
			assert_ledger_consistent(self, members[0])

	def test_a_rollback_and_a_redemption_at_once_cannot_both_happen(self):
		rows = [good_row(lots="100")]
		with programme():
			result = import_file(write_csv(rows))
		member = member_by_code(rows[0]["external_member_code"])

		outcomes = run_at_once(
			lambda: rollback_batch(result["batch"]),
			lambda: debit(member, 30, "Redeem", Voucher("Loyalty Member", member), key=f"test-race:{member}"),
		)

		self.assertEqual(sorted(outcome == "done" for outcome in outcomes), [False, True])
		status = frappe.db.get_value("Loyalty Member", member, "status")
		if outcomes[0] == "done":
			self.assertEqual((status, member_figures(member).points_balance), ("Closed", 0))
		else:
			self.assertIsInstance(outcomes[0], ImportRefusedError)
			self.assertEqual((status, member_figures(member).points_balance), ("Active", 70))
		assert_ledger_consistent(self, member)

	def test_data_import_fills_a_batch_through_the_standard_tool(self):
		batch = frappe.get_doc({"doctype": "Loyalty Import Batch", "title": "From Data Import"}).insert()
		meta = frappe.get_meta("Loyalty Import Row")
		header = ("batch", *RAW_FIELDS[:3], "lots")
		labels = [meta.get_label(field) for field in header]
		rows = [good_row(lots="70"), good_row(mobile_no="0")]
		content = (
			",".join(labels)
			+ "\n"
			+ "\n".join(
				",".join(
					[
						batch.name,
						row["external_member_code"],
						row["member_name"],
						row["mobile_no"],
						row.get("lots", ""),
					]
				)
				for row in rows
			)
		)
		file = frappe.get_doc(
			{"doctype": "File", "file_name": f"{batch.name}.csv", "content": content, "is_private": 1}
		).insert()
		data_import = frappe.get_doc(
			{
				"doctype": "Data Import",
				"reference_doctype": "Loyalty Import Row",
				"import_type": "Insert New Records",
				"import_file": file.file_url,
			}
		).insert()
		data_import.start_import()
		self.assertEqual(frappe.db.get_value("Data Import", data_import.name, "status"), "Success")

		with programme():
			counts = batch.check_rows()
			self.assertEqual((counts["valid_rows"], counts["error_rows"]), (1, 1))
			batch.import_rows()

		member = member_by_code(rows[0]["external_member_code"])
		self.assertEqual(member_figures(member).points_balance, 70)
		self.assertIsNone(member_by_code(rows[1]["external_member_code"]))

	def test_a_store_clerk_cannot_create_a_batch_or_read_its_rows(self):
		clerk = make_user("_lp_clerk@example.com", LOYALTY_USER, "Sales User")
		with as_user(clerk):
			self.assertFalse(frappe.has_permission("Loyalty Import Batch", "create"))
			self.assertFalse(frappe.has_permission("Loyalty Import Row", "read"))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc({"doctype": "Loyalty Import Batch", "title": "Clerk"}).insert()
