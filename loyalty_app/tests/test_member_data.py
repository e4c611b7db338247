"""Member data: who may change the fields that identify a member, masking on every surface a clerk
reaches, exports holding only the member's own data, and erasure that leaves nothing behind."""

import json

import frappe
import frappe.client
from frappe.utils import now_datetime

from loyalty_app.outreach.services import messages
from loyalty_app.outreach.services.defaults import ensure_default_templates
from loyalty_app.tests.test_outreach import ensure_email_account
from loyalty_app.tests.test_trust import TrustTestCase
from loyalty_app.tests.utils import (
	TEA,
	as_user,
	company,
	customer_of,
	ledger,
	make_invoice,
	make_member,
	make_user,
	member_figures,
	programme,
	random_mobile,
)
from loyalty_app.trust.services import privacy
from loyalty_app.trust.services.consent import set_consent

MEMBER = "Loyalty Member"


class TestIdentityFields(TrustTestCase):
	def test_a_clerk_cannot_take_over_a_members_portal(self):
		member = make_member()
		with as_user(self.clerk):
			with self.assertRaises(frappe.PermissionError):
				frappe.client.set_value(MEMBER, member, "user", self.clerk)
			doc = frappe.client.get(MEMBER, member)
			doc["user"] = self.clerk
			with self.assertRaises(frappe.PermissionError):
				frappe.client.save(doc)
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(MEMBER, member).update({"user": self.clerk}).save()
		self.assertIsNone(frappe.db.get_value(MEMBER, member, "user"))

	def test_a_clerk_cannot_record_consent_for_a_member(self):
		member = make_member()
		for fieldname in ("marketing_consent", "data_processing_consent"):
			with as_user(self.clerk), self.assertRaises(frappe.PermissionError):
				frappe.client.set_value(MEMBER, member, fieldname, 1)
		row = frappe.db.get_value(
			MEMBER, member, ["marketing_consent", "data_processing_consent"], as_dict=True
		)
		self.assertEqual((row.marketing_consent, row.data_processing_consent), (0, 0))
		self.assertFalse(frappe.db.exists("Member Consent", {"member": member}))

	def test_a_manager_sets_the_portal_user_but_consent_only_comes_from_the_member(self):
		member = make_member()
		portal = make_user(f"portal-{frappe.generate_hash(length=6)}@example.com")
		with as_user(self.manager):
			frappe.client.set_value(MEMBER, member, "user", portal)
			with self.assertRaises(frappe.PermissionError):
				frappe.client.set_value(MEMBER, member, "marketing_consent", 1)
		self.assertEqual(frappe.db.get_value(MEMBER, member, "user"), portal)
		set_consent(member, "Marketing", True, "App", "v1")
		self.assertEqual(frappe.db.get_value(MEMBER, member, "marketing_consent"), 1)
		self.assertEqual(frappe.db.count("Member Consent", {"member": member, "channel": "App"}), 1)

	def test_a_clerk_cannot_change_status_verification_or_customer(self):
		member = make_member()
		other_customer = customer_of(make_member())
		with as_user(self.clerk):
			for fieldname, value in (
				("status", "Frozen"),
				("mobile_verified", 1),
				("customer", other_customer),
				("mobile_no", random_mobile()),
				("email", "someone@example.com"),
			):
				with self.subTest(fieldname), self.assertRaises(frappe.PermissionError):
					frappe.client.set_value(MEMBER, member, fieldname, value)
		row = frappe.db.get_value(MEMBER, member, ["status", "mobile_verified", "email"], as_dict=True)
		self.assertEqual((row.status, row.mobile_verified, row.email), ("Active", 0, None))

	def test_a_clerk_enrols_with_mobile_email_and_consent_but_no_portal_user(self):
		mobile = random_mobile()
		with as_user(self.clerk):
			with self.assertRaises(frappe.PermissionError):
				frappe.client.insert(
					{"doctype": MEMBER, "member_name": "Till Enrol", "mobile_no": mobile, "user": self.clerk}
				)
			answer = frappe.client.insert(
				{
					"doctype": MEMBER,
					"member_name": "Till Enrol",
					"mobile_no": mobile,
					"email": "till.enrol@example.com",
					"marketing_consent": 1,
				}
			)
		stored = frappe.db.get_value(MEMBER, answer["name"], ["mobile_no", "email", "user"], as_dict=True)
		self.assertEqual(
			(stored.mobile_no, stored.email, stored.user), (mobile, "till.enrol@example.com", None)
		)
		self.assertEqual(frappe.db.count("Member Consent", {"member": answer["name"], "granted": 1}), 1)
		# the answer to the clerk's own insert already shows the number masked only
		self.assertNotIn(mobile, json.dumps(answer, default=str))
		self.assertEqual((answer["mobile_no"], answer["email"]), (None, None))
		self.assertEqual(answer["email_masked"], "t*********@e******.com")

	def test_a_clerk_edits_no_member_and_reads_only_the_masked_mobile_and_email(self):
		mobile = random_mobile()
		member = make_member(mobile_no=mobile, email="answer@example.com")
		with as_user(self.clerk):
			seen = frappe.client.get(MEMBER, member)
			for edit in (
				lambda: frappe.client.set_value(MEMBER, member, "birthday", "1990-01-02"),
				lambda: frappe.client.save(seen),
			):
				with self.assertRaises(frappe.PermissionError) as refused:
					edit()
				self.assertNotIn(mobile, str(refused.exception))
			bulk = frappe.client.bulk_update(
				json.dumps([{"doctype": MEMBER, "docname": member, "gender": "Male"}])
			)
		self.assertEqual(len(bulk["failed_docs"]), 1)
		self.assertIn("PermissionError", bulk["failed_docs"][0]["exc"])
		text = json.dumps(seen, default=str)
		self.assertNotIn(mobile, text)
		self.assertNotIn("answer@example.com", text)
		self.assertEqual(seen["mobile_masked"], f"+86 {mobile[3:6]}****{mobile[-4:]}")
		self.assertEqual(seen["email_masked"], "a*****@e******.com")
		row = frappe.db.get_value(MEMBER, member, ["birthday", "gender", "mobile_no"], as_dict=True)
		self.assertEqual((row.birthday, row.gender, row.mobile_no), (None, None, mobile))


class TestMaskingSurfaces(TrustTestCase):
	def test_a_new_members_customer_and_contacts_hold_no_mobile_or_email(self):
		mobile = random_mobile()
		member = make_member(mobile_no=mobile, email="no-copy@example.com")
		customer = frappe.db.get_value(
			"Customer",
			customer_of(member),
			["mobile_no", "email_id", "customer_primary_contact"],
			as_dict=True,
		)
		self.assertEqual(
			(customer.mobile_no, customer.email_id, customer.customer_primary_contact), (None,) * 3
		)
		self.assertFalse(frappe.db.exists("Contact Phone", {"phone": mobile}))
		self.assertFalse(frappe.db.exists("Contact Email", {"email_id": "no-copy@example.com"}))

	def test_a_clerk_reads_who_got_a_message_but_not_its_address_or_text(self):
		ensure_email_account()
		ensure_default_templates()
		member = make_member(member_name="Message Reader", email="reader@example.com")
		messages.deliver_due(now_datetime(), commit=False)
		log = frappe.db.get_value("Message Log", {"member": member, "template": "Welcome"})
		self.assertIsNotNone(log)
		with as_user(self.clerk):
			seen = frappe.client.get("Message Log", log)
			listed = frappe.get_list(
				"Message Log", filters={"name": log}, fields=["name", "status", "recipient", "message"]
			)
		self.assertEqual(seen["member"], member)
		for row in (seen, listed[0]):
			self.assertNotIn("reader@example.com", json.dumps(row, default=str))
			self.assertNotIn("Message Reader", json.dumps(row, default=str))
		with as_user(self.manager):
			self.assertEqual(frappe.client.get("Message Log", log)["recipient"], "reader@example.com")


class TestExport(TrustTestCase):
	def test_an_export_names_no_other_member(self):
		member, other = make_member(), make_member()
		frappe.get_doc(
			{
				"doctype": "Risk Alert",
				"member": member,
				"risk_rule": None,
				"rule_type": "Referral ring",
				"event": "Enrolment",
				"status": "Open",
				"severity": "High",
				"action_taken": "Alert only",
				"summary": f"Referral ring: {member} → {other}",
				"evidence": json.dumps({"ring": [member, other]}),
			}
		).insert(ignore_permissions=True)
		text = privacy.export_member_data(member)
		self.assertIn("Referral ring", text)
		self.assertIn(member, text)
		self.assertNotIn(other, text)


class TestErasure(TrustTestCase):
	def test_a_loyalty_manager_erases_and_is_recorded_as_the_one_who_asked(self):
		with programme():
			member = make_member(member_name="Manager Erases")
			make_invoice(member, [(TEA, 1, 100)])
		points = member_figures(member).points_balance
		with as_user(self.manager):
			privacy.erase_member(member, "asked at the counter")
		row = frappe.db.get_value(MEMBER, member, ["erased", "member_name", "points_balance"], as_dict=True)
		self.assertEqual((row.erased, row.points_balance), (1, points))
		self.assertNotIn("Manager Erases", row.member_name)
		request = frappe.db.get_value(
			"Privacy Request", {"member": member, "request_type": "Erasure"}, ["processed_by"], as_dict=True
		)
		self.assertEqual(request.processed_by, self.manager)
		with as_user(self.clerk), self.assertRaises(frappe.PermissionError):
			privacy.erase_member(make_member(), "clerk tries")

	def test_erasure_leaves_the_name_mobile_and_email_in_no_table(self):
		token = frappe.generate_hash(length=8)
		name, mobile, email = f"Erase Target {token}", random_mobile(), f"erase-{token}@example.com"
		national = mobile.removeprefix("+86")
		ensure_email_account()
		ensure_default_templates()
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_type": "Individual",
				"mobile_no": mobile,
				"email_id": email,
			}
		).insert(ignore_permissions=True)
		address = frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": name,
				"address_line1": f"{name} Road 1",
				"city": "Shanghai",
				"country": "China",
				"phone": mobile,
				"email_id": email,
				"links": [{"link_doctype": "Customer", "link_name": customer.name}],
			}
		).insert(ignore_permissions=True)
		customer.db_set("customer_primary_address", address.name)
		with programme():
			member = make_member(customer=customer.name, member_name=name, mobile_no=mobile, email=email)
			invoice = make_invoice(member, [(TEA, 1, 200)])
		messages.deliver_due(now_datetime(), commit=False)
		doc = frappe.get_doc(MEMBER, member)
		doc.add_comment("Comment", f"Called {name} on {national}")
		doc.member_name = f"{name} Jr"
		doc.save(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"note-{token}.txt",
				"attached_to_doctype": MEMBER,
				"attached_to_name": member,
				"content": f"{name} {mobile}",
				"is_private": 1,
			}
		).insert(ignore_permissions=True)
		frappe.log_error(f"Delivery failed for {email}", f"{mobile} unreachable", MEMBER, member)
		order = sales_order(customer.name, mobile, email)
		gl_before = gl_totals(invoice.name)
		points_before = member_figures(member).points_balance
		self.assertTrue(places_holding([name, mobile, email]))  # the seed reached the database

		with as_user(self.manager):
			privacy.erase_member(member, "member asked")

		self.assertEqual(places_holding([name, mobile, national, email]), [])
		self.assertEqual(gl_totals(invoice.name), gl_before)
		self.assertEqual(member_figures(member).points_balance, points_before)
		self.assertEqual(sum(e.points for e in ledger(member)), points_before)
		self.assertEqual(frappe.db.get_value("Sales Order", order, "grand_total"), 100)


def sales_order(customer: str, mobile: str, email: str) -> str:
	order = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company(),
			"delivery_date": frappe.utils.add_days(frappe.utils.today(), 7),
			"items": [{"item_code": TEA, "qty": 1, "rate": 100}],
		}
	)
	order.insert(ignore_permissions=True)
	order.db_set({"contact_mobile": mobile, "contact_email": email})
	return order.name


def gl_totals(voucher: str):
	return frappe.db.sql(
		"select sum(debit), sum(credit), count(*) from `tabGL Entry` where voucher_no = %s", voucher
	)


def places_holding(texts: list[str]) -> list[str]:
	"""Every table.column of the site whose text holds one of the texts."""
	columns = frappe.db.sql(
		"""select table_name, column_name from information_schema.columns
		where table_schema = database()
		and data_type in ('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json')""",
		as_dict=True,
	)
	by_table: dict[str, list[str]] = {}
	for row in columns:
		by_table.setdefault(row.table_name, []).append(row.column_name)
	found = []
	for table, names in by_table.items():
		row_name = "name" if "name" in names else "null"
		for text in texts:
			conditions = " or ".join(f"`{column}` like %(text)s" for column in names)
			hits = frappe.db.sql(
				f"""select {row_name}, {", ".join(f"`{c}` like %(text)s" for c in names)} from `{table}`
				where {conditions}""",
				{"text": f"%{text}%"},
			)
			for name, *matches in hits:
				found += [
					f"{table}.{column} ({name}): {text}"
					for column, matched in zip(names, matches, strict=True)
					if matched
				]
	return sorted(set(found))
