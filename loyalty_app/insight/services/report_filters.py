"""The filters every insight report shares: company, store and a date range, as SQL conditions.

A member belongs to the company of their home store (members without one belong to the default company,
as unassigned ledger entries do) and to the store itself. Sales, redemptions and other events belong to
the company and store (warehouse) they were made in, and to the period by their own date.
"""

from dataclasses import dataclass, field

from erpnext import get_default_company
from frappe.utils import getdate


@dataclass
class Conditions:
	clauses: list[str] = field(default_factory=list)
	values: dict = field(default_factory=dict)

	def add(self, clause: str, **values) -> "Conditions":
		self.clauses.append(clause)
		self.values.update(values)
		return self

	def __str__(self) -> str:
		return " and ".join(self.clauses) or "1 = 1"


def member_scope(filters: dict, member: str = "m") -> Conditions:
	"""Members (table alias `member`) of the filtered company and home store."""
	conditions = Conditions()
	if company := filters.get("company"):
		in_company = f"{member}.home_store in (select name from `tabWarehouse` where company = %(company)s)"
		if company == get_default_company():
			in_company = f"({in_company} or coalesce({member}.home_store, '') = '')"
		conditions.add(in_company, company=company)
	if store := filters.get("store"):
		conditions.add(f"{member}.home_store = %(store)s", store=store)
	return conditions


def within_period(conditions: Conditions, filters: dict, column: str) -> Conditions:
	"""Limit a date or datetime column to the filters' from/to dates, both inclusive."""
	if from_date := filters.get("from_date"):
		conditions.add(f"{column} >= %(from_date)s", from_date=getdate(from_date))
	if to_date := filters.get("to_date"):
		conditions.add(f"{column} < %(to_date)s + interval 1 day", to_date=getdate(to_date))
	return conditions


def place_scope(conditions: Conditions, filters: dict, company: str, store: str) -> Conditions:
	"""Limit events to the filtered company and store by their own company and warehouse columns."""
	if filters.get("company"):
		conditions.add(f"{company} = %(company)s", company=filters["company"])
	if filters.get("store"):
		conditions.add(f"{store} = %(store)s", store=filters["store"])
	return conditions
