"""Money figures for members and events: lifetime value (margin where the cost of goods is known,
else revenue), return on an event's cost and acquisition cost per member, all in Decimal."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class SaleLine:
	"""One invoice line in company currency: net amount (after discounts, before tax), stock quantity
	and the valuation rate of what left stock (0 when unknown). Returns carry negative figures."""

	net_amount: Decimal
	stock_qty: Decimal = Decimal(0)
	incoming_rate: Decimal = Decimal(0)

	@property
	def has_valuation(self) -> bool:
		return self.incoming_rate > 0

	@property
	def margin(self) -> Decimal:
		if not self.has_valuation:
			return self.net_amount
		return self.net_amount - self.incoming_rate * self.stock_qty


def lifetime_value(lines: Iterable[SaleLine]) -> Decimal:
	"""Historical gross margin of everything the member bought, lines without valuation at revenue."""
	return sum((line.margin for line in lines), Decimal(0)).quantize(CENT)


def lifetime_revenue(lines: Iterable[SaleLine]) -> Decimal:
	return sum((line.net_amount for line in lines), Decimal(0)).quantize(CENT)


def roi(attributed_revenue: Decimal, cost: Decimal) -> Decimal | None:
	"""(revenue − cost) / cost as a fraction (0.5 = 50 %); None when nothing was spent."""
	if cost <= 0:
		return None
	return (attributed_revenue - cost) / cost


def cost_per_member(cost: Decimal, members: int) -> Decimal | None:
	if members <= 0:
		return None
	return (cost / members).quantize(CENT)
