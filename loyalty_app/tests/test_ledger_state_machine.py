"""A stateful property test on the real bench: hypothesis drives real Sales and POS Invoices (with and
without points payment), cancels, partial and full returns with cash or points refunds, POS closing
(consolidation), a double-points campaign switched on and off, a referral, and days passing with the
expiry and tier-review jobs. After every step the conservation rules must hold:

- each member's balance = sum of their entries = sum of their lot remainders - their debt;
- every entry names its cause;
- every invoice's net points (the entries it and its returns caused, on any member) = what its
  unreturned, uncancelled part earned, bonuses included, as this model computes it on its own.

Settings: 1 point per currency unit rounded down, a point is worth 1, spent points become debt, a tier
ladder of Silver (100 points, 50-point gift) and Gold (500).
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import frappe
from erpnext.accounts.doctype.pos_closing_entry.pos_closing_entry import make_closing_entry_from_opening
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
	RuleBasedStateMachine,
	invariant,
	precondition,
	rule,
	run_state_machine_as_test,
)

from loyalty_app.loyalty.services.expiry import expire_points
from loyalty_app.loyalty.services.ledger import redeemable_points
from loyalty_app.loyalty.services.sales import PointsRefundTooLargeError
from loyalty_app.loyalty.services.tiers import review_tiers
from loyalty_app.rewards.services.campaigns import clear_campaign_cache
from loyalty_app.tests.test_causality import return_with_points_refund
from loyalty_app.tests.test_coupons_and_campaigns import make_points_campaign
from loyalty_app.tests.test_jobs_and_tiers import remove_tier_ladder, tier_ladder
from loyalty_app.tests.utils import (
	TEA,
	ensure_pos_profile,
	make_invoice,
	make_member,
	make_return,
	member_figures,
	programme,
)

SETTINGS = {"return_shortfall": "Allow and post a debt", "point_value": 1}
GIFT = 50
REFERRAL = {"friend": 50, "referrer": 80}
SHARES_PAID_IN_POINTS = (Decimal(0), Decimal("0.1"), Decimal("0.2"), Decimal("0.5"))


def unseeded_mobile() -> str:
	return f"+86137{int(frappe.generate_hash(length=12), 16) % 10**8:08d}"


def half_up(value: Decimal) -> int:
	return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Sale:
	"""The model of one invoice: what it earned and caused, and what has been returned or refunded."""

	name: str
	doctype: str
	member: str
	qty: int
	net_total: Decimal
	paid_points: int
	lots: dict[str, int]  # member -> points of the lots the sale caused (earn, bonuses), pro rata on return
	gift: bool = False  # a tier gift this sale brought still stands
	returned_qty: int = 0
	refunded: int = 0
	cancelled: bool = False
	consolidated: bool = False
	returns: list[str] = field(default_factory=list)

	def share_returned(self) -> Decimal:
		return Decimal(self.returned_qty) / Decimal(self.qty)

	def refund_bound(self, qty: int) -> int:
		share = Decimal(self.returned_qty + qty) / Decimal(self.qty)
		return half_up(self.paid_points * share) - self.refunded

	def expected_net(self) -> int:
		if self.cancelled:
			return 0
		share = self.share_returned()
		kept = sum(points - half_up(points * share) for points in self.lots.values())
		return kept - self.paid_points + self.refunded + (GIFT if self.gift else 0)

	def earned_net(self) -> int:
		"""What counts for the buyer's tier: the earn lot less what returns took back (0 if cancelled)."""
		if self.cancelled:
			return 0
		earn = self.lots.get("earn", 0)
		return earn - half_up(earn * self.share_returned())


class LedgerMachine(RuleBasedStateMachine):
	def __init__(self):
		super().__init__()
		# hypothesis seeds `random` per example, so random_mobile() would enrol the same members again
		self.referrer = make_member(mobile_no=unseeded_mobile())
		self.friend = make_member(mobile_no=unseeded_mobile(), referred_by=self.referrer)
		self.members = (self.referrer, self.friend)
		self.till = f"_SM Till {frappe.generate_hash(length=8)}"
		self.sales: list[Sale] = []
		self.clock = getdate()

	# the model

	def tier_value(self, member: str) -> int:
		return sum(sale.earned_net() for sale in self.sales if sale.member == member)

	def standing_gift(self, member: str) -> Sale | None:
		return next((s for s in self.sales if s.member == member and s.gift), None)

	def tier_rank(self, tier: str | None) -> int:
		return {None: 0, self.silver: 1, self.gold: 2}[tier]

	def qualifying(self, value: int) -> str | None:
		return self.gold if value >= 500 else self.silver if value >= 100 else None

	def after_reversal(self, sale: Sale, tier_before: str | None) -> None:
		"""What the tier re-evaluation does to the gifts, as the model sees it."""
		held, fell_back = tier_before, False
		if tier_before and self.tier_value(sale.member) < (500 if tier_before == self.gold else 100):
			held, fell_back = self.qualifying(self.tier_value(sale.member)), True
		gift = self.standing_gift(sale.member)
		if gift and self.tier_rank(held) < 1 and (fell_back or gift is sale):
			gift.gift = False

	# rules

	@rule(
		data=st.data(),
		doctype=st.sampled_from(("Sales Invoice", "POS Invoice")),
		qty=st.sampled_from((1, 2, 4)),
		rate=st.sampled_from((20, 50, 80, 120)),
		switch_double_points=st.booleans(),
	)
	def sell(self, data, doctype, qty, rate, switch_double_points):
		if switch_double_points:
			campaign = frappe.get_doc("Points Campaign", self.double)
			campaign.active = not campaign.active
			campaign.save()
			self.case.steps["switch_double_points"] += 1
		member = data.draw(st.sampled_from(self.members), label="member")
		share = (
			data.draw(st.sampled_from(SHARES_PAID_IN_POINTS), label="paid in points")
			if doctype == "POS Invoice"
			else 0
		)
		points = int(qty * rate * share)
		if points > redeemable_points(member):
			points = 0
		first_paid = not any(s.member == member and not s.cancelled for s in self.sales)
		tier_before = member_figures(member).tier
		with programme(**SETTINGS):
			invoice = make_invoice(
				member,
				[(TEA, qty, rate)],
				doctype=doctype,
				pos_profile=self.till if doctype == "POS Invoice" else None,
				loyalty_points_redeemed=points,
			)
		net_total = Decimal(str(invoice.base_net_total))
		paid_share = 1 - min(Decimal(points) / Decimal(str(invoice.base_grand_total)), Decimal(1))
		earn = int((net_total * paid_share).to_integral_value(rounding=ROUND_FLOOR))
		lots = {"earn": earn}
		if frappe.db.get_value("Points Campaign", self.double, "active"):
			lots["double"] = earn
		if first_paid and member == self.friend:
			lots.update({"referral": REFERRAL["friend"], "referrer": REFERRAL["referrer"]})
		sale = Sale(invoice.name, doctype, member, qty, net_total, points, lots)
		value = self.tier_value(member) + earn
		if (
			self.tier_rank(self.qualifying(value)) > self.tier_rank(tier_before)
			and self.qualifying(value) == self.silver
			and not self.standing_gift(member)
		):
			sale.gift = True
		self.sales.append(sale)
		self.case.steps["sell"] += 1

	@precondition(lambda self: any(self.cancellable()))
	@rule(data=st.data())
	def cancel(self, data):
		sale = data.draw(st.sampled_from(self.cancellable()), label="cancel")
		tier_before = member_figures(sale.member).tier
		with programme(**SETTINGS):
			frappe.get_doc(sale.doctype, sale.name).cancel()
		sale.cancelled = True
		self.after_reversal(sale, tier_before)
		self.case.steps["cancel"] += 1

	def cancellable(self) -> list[Sale]:
		return [s for s in self.sales if not (s.cancelled or s.returns or s.consolidated)]

	@precondition(lambda self: any(self.returnable()))
	@rule(data=st.data(), refund=st.sampled_from(("none", "bound", "beyond")))
	def return_goods(self, data, refund):
		sale = data.draw(st.sampled_from(self.returnable()), label="return")
		qty = data.draw(st.integers(1, sale.qty - sale.returned_qty), label="qty")
		original = frappe.get_doc(sale.doctype, sale.name)
		tier_before = member_figures(sale.member).tier
		with programme(**SETTINGS):
			if sale.doctype == "Sales Invoice":
				credit_note = make_return(original, {TEA: qty})
				refunded = 0
			else:
				ensure_pos_profile(self.till)  # a return is a POS Invoice too: the till must be open
				bound = sale.refund_bound(qty)
				refunded = {"none": 0, "bound": bound, "beyond": bound + 1}[refund]
				if refund == "beyond":
					with self.assertRaises(PointsRefundTooLargeError):
						return_with_points_refund(original, {TEA: qty}, refunded)
					self.case.steps["refused_refund"] += 1
					return
				credit_note = return_with_points_refund(original, {TEA: qty}, refunded)
		sale.returned_qty += qty
		sale.refunded += refunded
		sale.returns.append(credit_note.name)
		self.after_reversal(sale, tier_before)
		self.case.steps["return_goods"] += 1

	def returnable(self) -> list[Sale]:
		return [s for s in self.sales if not s.cancelled and s.returned_qty < s.qty]

	def assertRaises(self, error):
		return FrappeTestCase.assertRaises(self.case, error)

	@precondition(
		lambda self: any(
			s.doctype == "POS Invoice" and not s.consolidated and not s.cancelled for s in self.sales
		)
	)
	@rule()
	def close_the_till(self):
		opening = frappe.get_doc(
			"POS Opening Entry", {"pos_profile": self.till, "status": "Open", "docstatus": 1}
		)
		closing = make_closing_entry_from_opening(opening)
		closing.insert()
		closing.submit()
		for sale in self.sales:
			if sale.doctype == "POS Invoice" and frappe.db.get_value(
				"POS Invoice", sale.name, "consolidated_invoice"
			):
				sale.consolidated = True
		self.case.steps["close_the_till"] += 1

	@rule(days=st.integers(30, 200))
	def time_passes(self, days):
		self.clock = add_days(self.clock, days)
		with programme(**SETTINGS):
			expire_points(self.clock)
			review_tiers(self.clock)
		self.case.steps["time_passes"] += 1

	def teardown(self):
		"""Each example's clock starts again today, so a later example's tier review would judge this one's
		members (committed by the jobs) again on a day they were already reviewed: retire them from it."""
		frappe.db.sql(
			"update `tabLoyalty Member` set tier_valid_until = null where name in %s", (self.members,)
		)
		frappe.db.commit()  # nosemgrep: the jobs of the next example commit

	# conservation, after every step

	@invariant()
	def balances_add_up(self):
		for member in self.members:
			figures = member_figures(member)
			total, remaining, uncaused = frappe.db.sql(
				"""select coalesce(sum(points), 0), coalesce(sum(remaining_points), 0),
					coalesce(sum(cause_name is null or cause_type is null), 0)
				from `tabPoints Ledger Entry` where member = %s""",
				member,
			)[0]
			assert figures.points_balance == total, (member, figures.points_balance, total)
			assert figures.points_balance == remaining - figures.points_debt, (member, figures, remaining)
			assert figures.points_debt >= 0 and not uncaused, (member, figures.points_debt, uncaused)

	@invariant()
	def every_invoice_nets_what_it_still_earns(self):
		for sale in self.sales:
			causes = [sale.name, *sale.returns]
			actual = frappe.db.sql(
				"""select coalesce(sum(points), 0) from `tabPoints Ledger Entry`
				where cause_type = %s and cause_name in %s""",
				(sale.doctype, tuple(causes)),
			)[0][0]
			assert actual == sale.expected_net(), (
				sale,
				actual,
				frappe.get_all(
					"Points Ledger Entry",
					filters={"cause_type": sale.doctype, "cause_name": ("in", causes)},
					fields=["member", "entry_type", "points", "voucher_no", "idempotency_key", "creation"],
				),
			)


class TestLedgerStateMachine(FrappeTestCase):
	def tearDown(self):
		"""The jobs commit: leave no campaign or tier ladder behind to pay bonuses in other tests."""
		frappe.db.delete("Points Campaign", {"name": ("like", "\\_SM %")})
		clear_campaign_cache()
		remove_tier_ladder()  # commits

	def test_conservation_holds_whatever_happens_to_the_invoices(self):
		frappe.db.delete("Risk Rule")
		frappe.db.delete("Earning Rule")
		frappe.db.delete("Points Campaign")
		clear_campaign_cache()
		silver, gold = tier_ladder()
		double = make_points_campaign("_SM Double", "Double Points", multiplier=2, active=0)
		make_points_campaign(
			"_SM Referral",
			"Referral Bonus",
			bonus_points=REFERRAL["friend"],
			referrer_points=REFERRAL["referrer"],
		)
		case, self.steps = self, Counter()

		class Machine(LedgerMachine):
			def __init__(self):
				super().__init__()
				self.case, self.silver, self.gold, self.double = case, silver, gold, double
				frappe.get_doc("Points Campaign", double).update({"active": 0}).save()  # each run starts off

			def check_invariants(self, settings, output, runtimes):
				case.steps["checks"] += 1
				return super().check_invariants(settings, output, runtimes)

		run_state_machine_as_test(
			Machine,
			settings=settings(
				max_examples=5,
				stateful_step_count=40,
				derandomize=True,
				deadline=None,
				database=None,
				suppress_health_check=list(HealthCheck),
			),
		)
		print(f"state machine: {dict(self.steps)}")
		# the run did what it is for: a few hundred checked steps, each kind of event many times
		self.assertGreaterEqual(self.steps["checks"], 150, self.steps)
		for event in (
			"sell",
			"switch_double_points",
			"cancel",
			"return_goods",
			"refused_refund",
			"close_the_till",
			"time_passes",
		):
			self.assertGreaterEqual(self.steps[event], 3, self.steps)
