from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.value import SaleLine, cost_per_member, lifetime_revenue, lifetime_value, roi

D = Decimal


def test_margin_where_valuation_exists_else_revenue():
	lines = [
		SaleLine(D("60"), D("2"), D("12")),  # 60 - 24 = 36
		SaleLine(D("50")),  # no valuation: 50
		SaleLine(D("-30"), D("-1"), D("12")),  # a return of one: -30 + 12 = -18
	]
	assert lifetime_value(lines) == D("68.00")
	assert lifetime_revenue(lines) == D("80.00")


def test_roi():
	assert roi(D("400"), D("200")) == D("1")
	assert roi(D("150"), D("200")) == D("-0.25")
	assert roi(D("150"), D("0")) is None


def test_cost_per_member():
	assert cost_per_member(D("100"), 3) == D("33.33")
	assert cost_per_member(D("100"), 0) is None


amounts = st.decimals(min_value=-10_000, max_value=10_000, places=2)


@given(st.lists(st.tuples(amounts, amounts, st.decimals(min_value=0, max_value=500, places=2)), max_size=20))
def test_value_is_revenue_less_known_cost_of_goods(rows):
	lines = [SaleLine(net, qty, rate) for net, qty, rate in rows]
	cost_of_goods = sum((line.incoming_rate * line.stock_qty for line in lines), D(0))
	assert lifetime_value(lines) == (lifetime_revenue(lines) - cost_of_goods).quantize(D("0.01"))


@given(amounts, st.decimals(min_value=D("0.01"), max_value=10_000, places=2))
def test_roi_times_cost_gives_profit(revenue, cost):
	assert abs(roi(revenue, cost) * cost - (revenue - cost)) < D("1e-20")
