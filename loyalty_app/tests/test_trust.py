"""Trust: risk rules and their actions, frozen members, merge, privacy (consent, export, erasure), masking."""

import json
from unittest.mock import patch

import frappe
from frappe.desk.search import search_link
from frappe.tests.utils import FrappeTestCase
from frappe.utils import today

from loyalty_app.api import pos, v1
from loyalty_app.install import LOYALTY_INTEGRATION, LOYALTY_MANAGER, LOYALTY_USER
from loyalty_app.loyalty.services.ledger import (
	MemberNotActiveError,
	Voucher,
	debit,
	redeemable_points,
	take_back,
)
from loyalty_app.tests.utils import (
	TEA,
	as_user,
	assert_ledger_consistent,
	customer_of,
	ledger,
	make_invoice,
	make_member,
	make_return,
	make_user,
	member_figures,
	programme,
	random_mobile,
)
from loyalty_app.trust.report.manual_actions.manual_actions import execute as manual_actions
from loyalty_app.trust.services import privacy, review
from loyalty_app.trust.services.review import AlertDecisionError
from loyalty_app.trust.services.risk import (
	MobileNotVerifiedError,
	RiskBlockedError,
	clear_rule_cache,
)

MEMBER = "Loyalty Member"
ALERT = "Risk Alert"


def risk_rule(rule_type: str, action: str = "Alert only", **thresholds) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Risk Rule",
			"rule_name": f"_LP {rule_type} {action} {frappe.generate_hash(length=6)}",
			"rule_type": rule_type,
			"action": action,
			"severity": "High",
			"window_hours": 24,
			**thresholds,
		}
	).insert()
	return doc.name


def alerts(member: str, **filters) -> list:
	return frappe.get_all(
		ALERT,
		filters={"member": member, **filters},
		fields=[
			"name",
			"risk_rule",
			"status",
			"action_taken",
			"summary",
			"evidence",
			"held_posting",
			"event",
		],
		order_by="creation asc",
	)


def api_call(endpoint, **arguments):
	"""Call a v1 endpoint as Frappe would; its refusal rollback is kept from undoing the test's data."""
	frappe.local.response = frappe._dict()
	with patch.object(frappe.db, "rollback"):
		result = endpoint(**arguments)
	return frappe.local.response.get("http_status_code", 200), frappe.local.response.get("error"), result


def ledger_total(member: str) -> int:
	return sum(e.points for e in ledger(member))


class TrustTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.delete("Risk Rule")
		clear_rule_cache()
		self.manager = make_user("_lp_trust_manager@example.com", LOYALTY_MANAGER)
		self.clerk = make_user("_lp_trust_clerk@example.com", LOYALTY_USER, "Sales User")
		self.integration = make_user("_lp_trust_api@example.com", LOYALTY_INTEGRATION)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.delete("Risk Rule")
		clear_rule_cache()


class TestRiskRules(TrustTestCase):
	def test_velocity_hold_keeps_the_earn_until_a_manager_approves_it(self):
		rule = risk_rule("Earning velocity", "Hold for approval", max_transactions=1)
		with programme():
			member = make_member()
			make_invoice(member, [(TEA, 1, 100)])
			held = make_invoice(member, [(TEA, 1, 250)])
			self.assertEqual(ledger_total(member), 100)
			self.assertEqual(frappe.db.get_value("Sales Invoice", held.name, "loyalty_points_earned"), 0)
			[alert] = alerts(member)
			self.assertEqual((alert.risk_rule, alert.status, alert.event), (rule, "Open", "Earn"))
			self.assertEqual(json.loads(alert.evidence)["transactions_in_window"], 2)
			self.assertEqual(json.loads(alert.held_posting)["points"], 250)
			with as_user(self.manager):
				review.decide(alert.name, "Approve", "known customer")
			self.assertEqual(ledger_total(member), 350)
			self.assertEqual(frappe.db.get_value("Sales Invoice", held.name, "loyalty_points_earned"), 250)
			decided = frappe.db.get_value(
				ALERT, alert.name, ["status", "reviewed_by", "posted_entry"], as_dict=True
			)
			self.assertEqual((decided.status, decided.reviewed_by), ("Approved", self.manager))
			self.assertTrue(decided.posted_entry)
			with self.assertRaises(AlertDecisionError), as_user(self.manager):
				review.decide(alert.name, "Approve")
			assert_ledger_consistent(self, member)

	def test_velocity_by_points_alert_only_lets_the_earn_through(self):
		risk_rule("Earning velocity", max_points=150)
		with programme():
			member = make_member()
			make_invoice(member, [(TEA, 1, 200)])
		self.assertEqual(ledger_total(member), 200)
		self.assertEqual([a.action_taken for a in alerts(member)], ["Alert only"])
		# a high-severity alert reaches the Loyalty Managers' notifications in the desk
		(alert,) = alerts(member)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"for_user": self.manager, "document_type": ALERT, "document_name": alert.name},
			)
		)

	def test_block_refuses_the_earn_and_writes_nothing(self):
		risk_rule("Earning velocity", "Block", max_points=150)
		with programme():
			member = make_member()
			with self.assertRaises(RiskBlockedError):
				make_invoice(member, [(TEA, 1, 200)])
		self.assertEqual(ledger(member), [])
		self.assertEqual(len(alerts(member)), 1)

	def test_redemption_soon_after_enrolment_waits_for_approval_once(self):
		risk_rule("Redemption soon after enrolment", "Hold for approval")
		with programme():
			member = make_member()
			make_invoice(member, [(TEA, 1, 500)])
			with as_user(self.integration):
				status, error, _ = api_call(v1.redeem, member=member, points=100, key=f"k-{member}-1")
			self.assertEqual((status, error["code"]), (409, "awaiting_approval"))
			self.assertEqual(member_figures(member).points_balance, 500)
			[alert] = alerts(member)
			with as_user(self.manager):
				review.decide(alert.name, "Approve")
			with as_user(self.integration):
				status, error, result = api_call(v1.redeem, member=member, points=100, key=f"k-{member}-2")
				self.assertEqual((status, error), (200, None))
				self.assertEqual(result["member"]["points_balance"], 400)
				# the approval was for one redemption
				status, error, _ = api_call(v1.redeem, member=member, points=100, key=f"k-{member}-3")
			self.assertEqual((status, error["code"]), (409, "awaiting_approval"))
			assert_ledger_consistent(self, member)

	def test_manual_adjustment_above_limit_needs_another_manager(self):
		risk_rule("Manual adjustment above limit", "Hold for approval", max_points=500)
		member = make_member()
		with as_user(self.manager):
			adjustment = frappe.get_doc(
				{"doctype": "Points Adjustment", "member": member, "points": 1000, "reason": "goodwill"}
			).insert()
			adjustment.submit()
			self.assertEqual(member_figures(member).points_balance, 0)
			[alert] = alerts(member)
			with self.assertRaises(AlertDecisionError):
				review.decide(alert.name, "Approve")
		review.decide(alert.name, "Approve")
		self.assertEqual(member_figures(member).points_balance, 1000)
		assert_ledger_consistent(self, member)

	def test_clerk_far_above_peers_in_adjustments_raises_an_alert(self):
		risk_rule("Clerk outlier", min_peers=3, outlier_threshold=3.5)
		member = make_member()
		peers = [make_user(f"_lp_trust_peer{i}@example.com", LOYALTY_MANAGER) for i in range(3)]

		def adjust(user: str) -> None:
			with as_user(user):
				doc = frappe.get_doc(
					{"doctype": "Points Adjustment", "member": member, "points": 10, "reason": "fix"}
				).insert()
				doc.submit()

		for peer in peers:
			adjust(peer)
		for _ in range(3):
			adjust(self.manager)
		flagged = [json.loads(a.evidence)["user"] for a in alerts(member)]
		self.assertIn(self.manager, flagged)
		self.assertFalse(set(peers) & set(flagged))

	def test_earn_redeem_return_cycle_freezes_the_member(self):
		risk_rule("Earn-redeem-return cycle", "Freeze member", max_transactions=0)
		with programme():
			member = make_member()
			invoice = make_invoice(member, [(TEA, 2, 500)])
			debit(member, 100, "Redeem", Voucher("Loyalty Member", member), key=f"test-redeem-{member}")
			make_return(invoice, {TEA: 1})
		[alert] = alerts(member)
		self.assertEqual((alert.event, alert.action_taken), ("Return", "Freeze member"))
		self.assertEqual(frappe.db.get_value(MEMBER, member, "status"), "Frozen")
		with as_user(self.manager):
			review.decide(alert.name, "Release")
		self.assertEqual(frappe.db.get_value(MEMBER, member, "status"), "Active")

	def test_many_members_on_one_device_and_referral_rings(self):
		risk_rule("Shared device", max_members=2)
		ring_rule = risk_rule("Referral ring", "Hold for approval", max_transactions=1)
		device = f"device-{frappe.generate_hash(length=8)}"
		with as_user(self.integration):
			members = [
				api_call(v1.enrol, mobile_no=random_mobile(), member_name="Same Phone", device_id=device)[2][
					"member"
				]
				for _ in range(3)
			]
		self.assertEqual(alerts(members[0]) + alerts(members[1]), [])
		[shared] = alerts(members[2])
		self.assertEqual(sorted(json.loads(shared.evidence)["members"]), sorted(members))

		referrer = make_member()
		code = frappe.db.get_value(MEMBER, referrer, "referral_code")
		with as_user(self.integration):
			first = api_call(v1.enrol, mobile_no=random_mobile(), member_name="Friend", referral_code=code)[2]
			second = api_call(v1.enrol, mobile_no=random_mobile(), member_name="Friend", referral_code=code)[
				2
			]
		self.assertEqual(first["status"], "Active")
		self.assertEqual(second["status"], "Frozen")
		self.assertIn("Awaiting approval", second["status_reason"])
		[held] = alerts(second["member"], risk_rule=ring_rule)
		review.decide(held.name, "Approve")
		self.assertEqual(frappe.db.get_value(MEMBER, second["member"], "status"), "Active")

	def test_verified_mobile_required_to_redeem_and_the_clerk_can_verify(self):
		with programme(require_verified_mobile=1):
			member = make_member()
			make_invoice(member, [(TEA, 1, 300)])
			with self.assertRaises(MobileNotVerifiedError):
				debit(member, 50, "Redeem", Voucher(MEMBER, member), key=f"t-verify-{member}-1")
			with as_user(self.clerk):
				summary = pos.verify_mobile(member)
			self.assertTrue(summary["mobile_verified"])
			self.assertEqual(frappe.db.get_value(MEMBER, member, "mobile_verified_by"), self.clerk)
			debit(member, 50, "Redeem", Voucher(MEMBER, member), key=f"t-verify-{member}-2")
			self.assertEqual(member_figures(member).points_balance, 250)
			doc = frappe.get_doc(MEMBER, member)
			doc.mobile_no = random_mobile()
			doc.save()
			self.assertEqual(frappe.db.get_value(MEMBER, member, "mobile_verified"), 0)


class TestFrozenMember(TrustTestCase):
	def test_frozen_member_cannot_earn_or_redeem_anywhere_and_is_told_why(self):
		risk_rule("Earning velocity", "Freeze member", max_transactions=1)
		with programme():
			member = make_member()
			make_invoice(member, [(TEA, 1, 400)])
			make_invoice(member, [(TEA, 1, 100)])
			self.assertEqual(frappe.db.get_value(MEMBER, member, "status"), "Frozen")
			entries = len(ledger(member))
			# invoice hooks: the sale goes through without points; paying with points is refused
			sale = make_invoice(member, [(TEA, 1, 100)])
			self.assertEqual(frappe.db.get_value("Sales Invoice", sale.name, "loyalty_points_earned"), 0)
			with self.assertRaises(MemberNotActiveError):
				make_invoice(member, [(TEA, 1, 100)], doctype="POS Invoice", loyalty_points_redeemed=50)
			self.assertEqual(len(ledger(member)), entries)
			# API
			with as_user(self.integration):
				earn = api_call(v1.earn, member=member, order_id=f"o-{member}", amount="100")
				redeem = api_call(v1.redeem, member=member, points=10, key=f"r-{member}")
			self.assertEqual((earn[0], earn[1]["code"]), (409, "member_not_active"))
			self.assertEqual((redeem[0], redeem[1]["code"]), (409, "member_not_active"))
			self.assertIn("Frozen", redeem[1]["message"])
			# POS panel
			with as_user(self.clerk):
				summary = pos.lookup(member)
			self.assertEqual(summary["status"], "Frozen")
			self.assertIn("Frozen by risk rule", summary["status_reason"])
			self.assertEqual(len(ledger(member)), entries)
			self.assertEqual(member_figures(member).points_balance, 400)


class TestMerge(TrustTestCase):
	def test_merge_moves_the_ledger_intact_and_closes_the_duplicate(self):
		with programme():
			survivor, duplicate = make_member(), make_member()
			make_invoice(survivor, [(TEA, 1, 300)])
			make_invoice(duplicate, [(TEA, 1, 200)])
			debit(duplicate, 50, "Redeem", Voucher(MEMBER, duplicate), key=f"t-merge-{duplicate}")
			before = ledger_total(survivor) + ledger_total(duplicate)
			entries = len(ledger(survivor)) + len(ledger(duplicate))
			merge = frappe.get_doc(
				{
					"doctype": "Member Merge",
					"duplicate_member": duplicate,
					"surviving_member": survivor,
					"reason": "same person, two phones",
				}
			).insert()
			merge.submit()
		self.assertEqual(ledger_total(survivor), before)
		self.assertEqual(ledger_total(survivor), 450)
		self.assertEqual(len(ledger(survivor)), entries)
		self.assertEqual(ledger(duplicate), [])
		self.assertEqual(member_figures(survivor).points_balance, 450)
		self.assertEqual(member_figures(survivor).lifetime_redeemed, 50)
		self.assertEqual(member_figures(survivor).purchase_count, 2)
		assert_ledger_consistent(self, survivor)
		assert_ledger_consistent(self, duplicate)
		dup = frappe.db.get_value(MEMBER, duplicate, ["status", "merged_into"], as_dict=True)
		self.assertEqual((dup.status, dup.merged_into), ("Closed", survivor))
		self.assertEqual(frappe.db.get_value("Member Merge", merge.name, "points_moved"), 150)

	def test_a_merge_carries_a_points_debt_to_the_survivor_and_keeps_the_books_whole(self):
		with programme():
			survivor, duplicate = make_member(), make_member()
			make_invoice(survivor, [(TEA, 1, 300)])
			make_invoice(duplicate, [(TEA, 1, 100)])
			(lot,) = ledger(duplicate, entry_type="Earn")
			debit(duplicate, 100, "Redeem", Voucher(MEMBER, duplicate), key=f"t-merge-debt-{duplicate}")
			take_back(
				lot.name,
				100,
				Voucher(MEMBER, duplicate),
				key=f"t-merge-back-{duplicate}",
				block_shortfall=False,
			)
			frappe.get_doc(
				{
					"doctype": "Member Merge",
					"duplicate_member": duplicate,
					"surviving_member": survivor,
					"reason": "same person, two phones",
				}
			).insert().submit()
			merged = member_figures(survivor)
			spendable = redeemable_points(survivor)
			make_invoice(survivor, [(TEA, 1, 40)])
		# The balance counts the debt: 300 in lots less 100 owed; the next earn settles 40 of it.
		self.assertEqual((merged.points_balance, merged.points_debt, spendable), (200, 100, 200))
		self.assertEqual(
			(member_figures(survivor).points_balance, member_figures(survivor).points_debt), (240, 60)
		)
		self.assertEqual(
			(member_figures(duplicate).points_balance, member_figures(duplicate).points_debt), (0, 0)
		)
		assert_ledger_consistent(self, survivor)
		assert_ledger_consistent(self, duplicate)

	def test_after_a_merge_the_duplicates_customer_buys_and_cancels_for_the_survivor(self):
		with programme():
			survivor, duplicate = make_member(), make_member()
			make_invoice(survivor, [(TEA, 1, 300)])
			before_merge = make_invoice(duplicate, [(TEA, 1, 200)])
			frappe.get_doc(
				{
					"doctype": "Member Merge",
					"duplicate_member": duplicate,
					"surviving_member": survivor,
					"reason": "one customer, two sign-ups",
				}
			).insert().submit()
			after_merge = make_invoice(duplicate, [(TEA, 1, 100)])  # the duplicate's customer, again
			self.assertEqual(after_merge.loyalty_member, survivor)
			self.assertEqual(member_figures(survivor).points_balance, 600)
			frappe.get_doc("Sales Invoice", before_merge.name).cancel()
		figures = member_figures(survivor)
		self.assertEqual((figures.points_balance, figures.purchase_count, figures.total_spend), (400, 2, 400))
		self.assertEqual(member_figures(duplicate).points_balance, 0)
		assert_ledger_consistent(self, survivor)
		# integrators that still hold the duplicate's id are told where to go
		self.assertEqual(v1.member_summary(duplicate)["merged_into"], survivor)


class TestPrivacy(TrustTestCase):
	def test_consents_are_recorded_with_time_channel_and_text_version(self):
		with as_user(self.integration):
			member = api_call(
				v1.enrol,
				mobile_no=random_mobile(),
				member_name="Consenting",
				marketing_consent=True,
				data_processing_consent=True,
				consent_text_version="v2026-01",
			)[2]["member"]
			api_call(v1.consent, member=member, consent_type="Marketing", granted=False, channel="App")
		rows = frappe.get_all(
			"Member Consent",
			filters={"member": member},
			fields=["consent_type", "granted", "channel", "text_version", "recorded_at"],
			order_by="creation asc",
		)
		self.assertEqual(
			[(r.consent_type, r.granted, r.channel, r.text_version) for r in rows],
			[
				("Marketing", 1, "Mini-program", "v2026-01"),
				("Data processing", 1, "Mini-program", "v2026-01"),
				("Marketing", 0, "App", "v2026-01"),
			],
		)
		self.assertTrue(all(r.recorded_at for r in rows))
		self.assertEqual(frappe.db.get_value(MEMBER, member, "marketing_consent"), 0)

	def test_export_contains_everything_about_the_member_and_only_for_them_or_a_manager(self):
		risk_rule("Earning velocity", max_points=10)
		portal = make_user("_lp_trust_portal@example.com")
		with programme():
			member = make_member(marketing_consent=1, user=portal)
			make_invoice(member, [(TEA, 1, 100)])
		data = json.loads(privacy.export_member_data(member))
		self.assertEqual(data["member"]["name"], member)
		records = data["records"]
		self.assertEqual(sum(e["points"] for e in records["Points Ledger Entry"]), 100)
		for doctype in ("Points Ledger Entry", "Member Consent", "Risk Alert", "Sales Invoice"):
			self.assertIn(doctype, records)
		with as_user(portal):
			self.assertEqual(json.loads(privacy.export_member_data(member))["member"]["name"], member)
		with as_user(self.clerk), self.assertRaises(frappe.PermissionError):
			privacy.export_member_data(member)
		self.assertEqual(frappe.db.count("Privacy Request", {"member": member, "request_type": "Export"}), 2)

	def test_erasure_leaves_no_personal_field_and_keeps_ledger_and_gl(self):
		mobile, email = random_mobile(), f"erase-{frappe.generate_hash(length=6)}@example.com"
		with programme():
			member = make_member(
				mobile_no=mobile, member_name="Wang Xiaoming", email=email, birthday="1990-05-01"
			)
			invoice = make_invoice(member, [(TEA, 1, 300)])
		customer = customer_of(member)
		gl_before = frappe.db.sql(
			"select sum(debit), sum(credit), count(*) from `tabGL Entry` where voucher_no = %s", invoice.name
		)
		points_before = ledger_total(member)
		privacy.erase_member(member, "member asked")
		row = frappe.db.get_value(MEMBER, member, ["*"], as_dict=True)
		texts = json.dumps(row, default=str) + json.dumps(
			frappe.db.get_value("Customer", customer, ["*"], as_dict=True), default=str
		)
		for personal in ("Wang Xiaoming", mobile, mobile.removeprefix("+86"), email, "1990-05-01"):
			self.assertNotIn(personal, texts)
		self.assertEqual((row.status, row.erased), ("Closed", 1))
		self.assertEqual(ledger_total(member), points_before)
		self.assertEqual(member_figures(member).points_balance, points_before)
		self.assertEqual(
			frappe.db.sql(
				"select sum(debit), sum(credit), count(*) from `tabGL Entry` where voucher_no = %s",
				invoice.name,
			),
			gl_before,
		)
		self.assertEqual(
			frappe.db.get_value("Sales Invoice", invoice.name, "grand_total"), invoice.grand_total
		)
		self.assertEqual(frappe.db.count("Privacy Request", {"member": member, "request_type": "Erasure"}), 1)

	def test_personal_data_deletion_request_erases_the_users_member(self):
		user = make_user(f"pddr-{frappe.generate_hash(length=6)}@example.com")
		member = make_member(user=user, member_name="Deletion Requester")
		with patch("frappe.sendmail"):
			request = frappe.get_doc({"doctype": "Personal Data Deletion Request", "email": user}).insert(
				ignore_permissions=True
			)
		request.db_set("status", "Pending Approval")
		with patch("frappe.sendmail"):
			request.trigger_data_deletion()
		erased = frappe.db.get_value(MEMBER, member, ["erased", "member_name"], as_dict=True)
		self.assertEqual(erased.erased, 1)
		self.assertNotIn("Deletion Requester", erased.member_name)


class TestMasking(TrustTestCase):
	def test_clerk_and_api_see_masked_mobiles_unless_they_typed_the_number(self):
		mobile = random_mobile()
		member = make_member(mobile_no=mobile)
		masked = f"+86 {mobile[3:6]}****{mobile[-4:]}"
		with as_user(self.clerk):
			self.assertEqual(pos.lookup(member)["mobile_no"], masked)
			self.assertEqual(pos.lookup(mobile)["mobile_no"], mobile)
			desk = frappe.get_doc(MEMBER, member)
			desk.apply_fieldlevel_read_permissions()
			self.assertIsNone(desk.get("mobile_no"))
			self.assertEqual(desk.mobile_masked, masked)
			# a clerk still types the number when enrolling in the desk
			new_mobile = random_mobile()
			enrolled = frappe.get_doc(
				{"doctype": MEMBER, "member_name": "Desk Enrol", "mobile_no": new_mobile}
			).insert()
			self.assertEqual(frappe.db.get_value(MEMBER, enrolled.name, "mobile_no"), new_mobile)
		with as_user(self.integration):
			self.assertEqual(api_call(v1.member, member=member)[2]["mobile_no"], masked)
			self.assertEqual(api_call(v1.member, mobile_no=mobile)[2]["mobile_no"], mobile)
		with as_user(self.manager):
			self.assertEqual(api_call(v1.member, member=member)[2]["mobile_no"], mobile)

	def test_link_search_finds_a_member_by_the_full_number_and_shows_it_masked(self):
		mobile = random_mobile()
		member = make_member(mobile_no=mobile, member_name="Search Target")
		masked = f"+86 {mobile[3:6]}****{mobile[-4:]}"
		with as_user(self.clerk):
			by_number = search_link("Loyalty Member", mobile[3:])
			self.assertEqual([row["value"] for row in by_number], [member])
			self.assertIn(masked, by_number[0]["description"])
			self.assertNotIn(mobile[3:], json.dumps(by_number))
			self.assertEqual(search_link("Loyalty Member", mobile[3:9]), [])
			self.assertIn(member, [row["value"] for row in search_link("Loyalty Member", "Search Target")])


class TestAudit(TrustTestCase):
	def test_manual_actions_lists_what_a_user_did_by_hand(self):
		member = make_member()
		with as_user(self.manager):
			adjustment = frappe.get_doc(
				{"doctype": "Points Adjustment", "member": member, "points": 40, "reason": "goodwill"}
			).insert()
			adjustment.submit()
			desk = frappe.get_doc(MEMBER, member)
			desk.status = "Frozen"
			desk.save(ignore_version=False)  # Frappe keeps no versions in tests unless asked
			settings = frappe.get_single("Loyalty Settings")
			settings.expiry_reminder_days = (settings.expiry_reminder_days or 30) + 1
			settings.save(ignore_version=False)
		on = {"from_date": today(), "to_date": today()}
		_columns, rows = manual_actions({**on, "user": self.manager})
		done = {(row.document_type, row.document) for row in rows}
		self.assertIn(("Points Adjustment", adjustment.name), done)
		self.assertIn(("Loyalty Member", member), done)
		self.assertIn(("Loyalty Settings", "Loyalty Settings"), done)
		self.assertEqual({row.user for row in rows}, {self.manager})
		_columns, others = manual_actions({**on, "user": self.clerk})
		self.assertNotIn(
			("Points Adjustment", adjustment.name), {(r.document_type, r.document) for r in others}
		)
