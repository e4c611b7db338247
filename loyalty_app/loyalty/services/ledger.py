"""The only writer of the points ledger and of a member's point figures.

Every change locks the member row (SELECT ... FOR UPDATE), reads the member's lots with a locking read
(so it sees the latest committed rows, not the transaction's snapshot), then writes its entries, the lots'
remaining points and the member's figures in the caller's transaction. Entries are append-only: a
correction is a new entry that points at what it corrects.

- A positive entry without allocations is a new lot (it can expire); a positive entry with allocations
  gives points back to those lots; a negative entry consumes the lots in its allocations.
- Every entry names its cause: the business document that set it in motion (the invoice for its earn and
  for the campaign bonus, referral bonus or tier gift it brought; the member for an enrolment gift; the
  return or cancelled document for a reversal). Cancelling a document reverses what it caused.
- Taking back what a voucher earned uses what remains of that voucher's own lot. Points already spent
  are refused (``block_shortfall``) or recorded as the member's points debt. The balance counts the debt:
  balance = sum of entries = sum of lot remainders - debt, so it is negative while a member owes more
  than their lots hold. Redeemable = unexpired lots - debt, never below zero. A later credit settles the
  debt from its new lot (an entry of 0 points that consumes the lot) without moving the balance again.
- Each operation carries an idempotency key: replaying it returns the first result and writes nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime

import frappe
from frappe import _
from frappe.integrations.doctype.webhook import get_all_webhooks, run_webhooks
from frappe.utils import getdate, now_datetime

from loyalty_app.engine.fifo import Allocation, InsufficientPoints, Lot, allocate, available_points
from loyalty_app.engine.points import apply_daily_cap
from loyalty_app.loyalty.services.settings import get_settings
from loyalty_app.utils import STANDARD_COLUMNS, locked_value

LEDGER = "Points Ledger Entry"
MEMBER = "Loyalty Member"
ACTIVE = "Active"
EXPIRY_WORK_TABLES = ("loyalty_expiring_lot", "loyalty_expiry_entry")


class InsufficientPointsError(frappe.ValidationError):
	pass


class PointsShortfallError(frappe.ValidationError):
	pass


class MemberNotActiveError(frappe.ValidationError):
	pass


@dataclass(frozen=True)
class Voucher:
	"""The document an entry is posted against, and `cause`, the business document that caused it when
	that is another one (a campaign's bonus caused by an invoice). Without a cause the voucher is the cause."""

	doctype: str
	name: str
	company: str | None = None
	cause: "Voucher | None" = None

	@property
	def caused_by(self) -> "Voucher":
		return self.cause or self

	@property
	def books_company(self) -> str | None:
		"""The company whose books the entry belongs to: the voucher's, else the cause's."""
		return self.company or self.caused_by.company


@dataclass(frozen=True)
class PostingRequest:
	"""A credit or debit as asked, before it is written: what `loyalty_posting_checks` hooks look at.

	`options` holds the remaining keyword arguments, so a held posting can be made later exactly as asked.
	"""

	action: str
	member: str
	points: int
	entry_type: str
	voucher: Voucher
	key: str
	options: dict


# Postings that the `loyalty_posting_checks` hooks (e.g. the risk rules) see; others are the system's own.
# A "Reverse" credit is a points refund of a return: points created like an earn, so checked like one.
CHECKED_POSTINGS = {
	("credit", "Earn"),
	("credit", "Adjust"),
	("credit", "Reverse"),
	("debit", "Redeem"),
	("debit", "Adjust"),
}


def posting_allowed(request: PostingRequest) -> bool:
	"""Run the `loyalty_posting_checks` hooks: each may refuse (raise) or hold the posting (return False)."""
	if (request.action, request.entry_type) not in CHECKED_POSTINGS:
		return True
	return all(
		frappe.get_attr(check)(request) is not False for check in frappe.get_hooks("loyalty_posting_checks")
	)


@dataclass(frozen=True)
class LockedMember:
	name: str
	status: str
	points_debt: int


def lock_member(member: str) -> LockedMember:
	rows = frappe.db.sql(
		"select name, status, points_debt from `tabLoyalty Member` where name = %s for update",
		member,
		as_dict=True,
	)
	if not rows:
		frappe.throw(_("Loyalty Member {0} does not exist").format(member), frappe.DoesNotExistError)
	return LockedMember(rows[0].name, rows[0].status, rows[0].points_debt or 0)


def locked_lots(member: str) -> list[Lot]:
	rows = frappe.db.sql(
		"""select name, remaining_points, expiry_date, posting_datetime from `tabPoints Ledger Entry`
		force index (member_remaining_points_index) where member = %s and remaining_points > 0 for update""",
		member,
		as_dict=True,
	)
	return [Lot(r.name, r.remaining_points, r.expiry_date, r.posting_datetime) for r in rows]


def entry_by_key(key: str) -> str | None:
	return frappe.db.get_value(LEDGER, {"idempotency_key": key})


def locked_entry_by_key(key: str) -> str | None:
	"""The entry posted under this key, read under the member lock with a locking read: a replay that
	waited for the first call's lock sees its committed entry (not its own snapshot) and returns it."""
	rows = frappe.db.sql(
		"select name from `tabPoints Ledger Entry` where idempotency_key = %s for update", key
	)
	return rows[0][0] if rows else None


def redeemable_points(member: str, on_date: date | None = None) -> int:
	"""Points the member can spend now: unexpired lots less any points debt (never negative).

	The same sum as fifo.available_points, done by the database over the member's lots.
	"""
	result = frappe.db.sql(
		"""select coalesce(sum(lot.remaining_points), 0) - m.points_debt
		from `tabLoyalty Member` m
		left join `tabPoints Ledger Entry` lot force index (member_remaining_points_index) on lot.member = m.name
			and lot.remaining_points > 0 and (lot.expiry_date is null or lot.expiry_date >= %s)
		where m.name = %s group by m.name""",
		(on_date or getdate(), member),
	)
	return max(int(result[0][0]), 0) if result else 0


def credit(
	member: str,
	points: int,
	entry_type: str,
	voucher: Voucher,
	*,
	key: str,
	posting_datetime: datetime | None = None,
	qualifying_points: int = 0,
	qualifying_amount: float = 0,
	remarks: str | None = None,
	daily_cap: bool = False,
	checked: bool = False,
) -> str | None:
	"""Post a new lot. Returns the entry, or None when there was nothing to record or a check held it.

	`checked` is for a posting the checks already let through (an approved hold): they are not run again.
	"""
	posted_at = posting_datetime or now_datetime()
	locked = lock_member(member)
	if existing := locked_entry_by_key(key):
		return existing
	if entry_type in ("Earn", "Bonus") and locked.status != ACTIVE:
		frappe.throw(
			_("Member {0} is {1} and cannot earn points").format(member, _(locked.status)),
			MemberNotActiveError,
		)
	request = PostingRequest(
		"credit",
		member,
		points,
		entry_type,
		voucher,
		key,
		{
			"posting_datetime": posted_at,
			"qualifying_points": qualifying_points,
			"qualifying_amount": qualifying_amount,
			"remarks": remarks,
			"daily_cap": daily_cap,
		},
	)
	if not checked and not posting_allowed(request):
		return None
	settings = get_settings()
	if daily_cap and settings.max_points_per_day:
		earned = points
		points = apply_daily_cap(
			points, points_earned_on(member, getdate(posted_at)), settings.max_points_per_day
		)
		if points < earned:
			remarks = _("{0} of {1} points earned; the daily cap of {2} points was reached.").format(
				points, earned, settings.max_points_per_day
			)
			qualifying_points = points
	if points <= 0 and not qualifying_amount:
		return None
	name = _insert_entry(
		member,
		entry_type,
		points,
		voucher,
		posted_at,
		key=key,
		expiry_date=settings.expiry_date(getdate(posted_at)),
		qualifying_points=qualifying_points,
		qualifying_amount=qualifying_amount,
		remarks=remarks,
		earned_delta=points,
	)
	settle_debt_from(name, member, locked.points_debt, points, voucher, posted_at, key)
	return name


def settle_debt_from(
	lot: str, member: str, debt: int, points: int, voucher: Voucher, posted_at: datetime, key: str
) -> None:
	"""A new lot pays the member's debt first: the lot and the debt shrink, the balance (which already
	counted the debt) does not move, so the entry carries 0 points and consumes the lot."""
	if not debt or points <= 0:
		return
	settled = min(debt, points)
	_insert_entry(
		member,
		"Reverse",
		0,
		voucher,
		posted_at,
		key=f"{key}:settle-debt",
		allocations=[Allocation(lot, settled)],
		lot_sign=-1,
		settles_debt=True,
		remarks=_("Settles {0} points of debt").format(settled),
	)
	_shift_member(member, debt=-settled)


def credit_many(
	credits: list[tuple[str, int]],
	entry_type: str,
	voucher: Voucher,
	*,
	key_prefix: str,
	remarks: str | None = None,
) -> list[str]:
	"""Post a new lot for each (member, points) as `credit` would one by one, set-based for volume: keyed
	`{key_prefix}:{member}` (a key already posted is skipped), members not active skipped, webhooks on
	Points Ledger Entry fired for each entry. Each entry is caused by its member (an event of the member's
	own, such as a birthday); `voucher` is what it is posted against (the campaign). A member with points
	debt goes through `credit`, which settles the debt from the new lot. Returns the entries posted."""
	members = [member for member, points in credits if points > 0]
	if not members:
		return []
	locked = {
		row.name: row
		for row in frappe.db.sql(
			"select name, status, points_debt from `tabLoyalty Member` where name in %(members)s for update",
			{"members": members},
			as_dict=True,
		)
	}
	keys = {member: f"{key_prefix}:{member}" for member in members}
	posted_keys = set(
		frappe.db.sql_list(
			"select idempotency_key from `tabPoints Ledger Entry` where idempotency_key in %(keys)s",
			{"keys": list(keys.values())},
		)
	)
	posted_at = now_datetime()
	expiry_date = get_settings().expiry_date(getdate(posted_at))
	names, rows = [], []
	for member, points in credits:
		row = locked.get(member)
		if points <= 0 or not row or row.status != ACTIVE or keys[member] in posted_keys:
			continue
		member_voucher = Voucher(
			voucher.doctype, voucher.name, voucher.company, cause=Voucher(MEMBER, member)
		)
		if row.points_debt:
			names.append(
				credit(member, points, entry_type, member_voucher, key=keys[member], remarks=remarks)
			)
			continue
		name = frappe.generate_hash(length=20)
		names.append(name)
		rows.append(
			(
				name,
				posted_at,
				posted_at,
				frappe.session.user,
				frappe.session.user,
				0,
				member,
				entry_type,
				points,
				posted_at,
				member_voucher.books_company,
				voucher.doctype,
				voucher.name,
				MEMBER,
				member,
				keys[member],
				expiry_date,
				points,
				0,
				0,
				0,
				0,
				remarks,
			)
		)
	frappe.db.bulk_insert(
		LEDGER,
		fields=[
			*STANDARD_COLUMNS,
			"member",
			"entry_type",
			"points",
			"posting_datetime",
			"company",
			"voucher_type",
			"voucher_no",
			"cause_type",
			"cause_name",
			"idempotency_key",
			"expiry_date",
			"remaining_points",
			"debt_points",
			"settles_debt",
			"qualifying_points",
			"qualifying_amount",
			"remarks",
		],
		values=rows,
	)
	if rows:
		frappe.db.sql(
			"""update `tabLoyalty Member` m join `tabPoints Ledger Entry` e on e.member = m.name
			set m.points_balance = m.points_balance + e.points, m.lifetime_earned = m.lifetime_earned + e.points
			where e.name in %(names)s""",
			{"names": [row[0] for row in rows]},
		)
		if webhooks_watch_the_ledger():
			for row in rows:
				notify_webhooks(frappe.get_doc(LEDGER, row[0]))
	return [name for name in names if name]


def debit(
	member: str,
	points: int,
	entry_type: str,
	voucher: Voucher,
	*,
	key: str,
	posting_datetime: datetime | None = None,
	remarks: str | None = None,
	checked: bool = False,
) -> str | None:
	"""Spend points from the oldest unexpired lots (FIFO). Never takes the balance below zero.

	Returns the entry, or None when a check held the posting for approval (see `credit`).
	"""
	if points <= 0:
		frappe.throw(_("Points to redeem must be a positive whole number"))
	posted_at = posting_datetime or now_datetime()
	locked = lock_member(member)
	if existing := locked_entry_by_key(key):
		return existing
	if entry_type == "Redeem" and locked.status != ACTIVE:
		frappe.throw(
			_("Member {0} is {1} and cannot redeem points").format(member, _(locked.status)),
			MemberNotActiveError,
		)
	request = PostingRequest(
		"debit", member, points, entry_type, voucher, key, {"posting_datetime": posted_at, "remarks": remarks}
	)
	if not checked and not posting_allowed(request):
		return None
	lots = locked_lots(member)
	available = available_points(lots, getdate(posted_at)) - locked.points_debt
	try:
		if points > available:
			raise InsufficientPoints(points, max(available, 0))
		allocations = allocate(lots, points, getdate(posted_at))
	except InsufficientPoints as e:
		frappe.throw(
			_("Member {0} has {1} points available, {2} requested").format(member, e.available, e.requested),
			InsufficientPointsError,
		)
	return _insert_entry(
		member,
		entry_type,
		-points,
		voucher,
		posted_at,
		key=key,
		allocations=allocations,
		remarks=remarks,
		redeemed_delta=points if entry_type == "Redeem" else 0,
	)


def take_back(
	lot_entry: str,
	points: int,
	voucher: Voucher,
	*,
	key: str,
	block_shortfall: bool,
	posting_datetime: datetime | None = None,
	qualifying_amount: float = 0,
	remarks: str | None = None,
) -> str | None:
	"""Take back `points` that `lot_entry` credited, e.g. for a return; spent points become debt or block.

	The entry takes the whole `points` from the balance: what the lot still holds from the lot, the rest
	(`debt_points`) as debt."""
	if points <= 0 and not qualifying_amount:
		return None
	lot = frappe.db.get_value(LEDGER, lot_entry, ["member", "qualifying_points"], as_dict=True)
	lock_member(lot.member)
	if existing := locked_entry_by_key(key):
		return existing
	remaining = frappe.db.sql(
		"select remaining_points from `tabPoints Ledger Entry` where name = %s for update", lot_entry
	)[0][0]
	taken = min(remaining, points)
	shortfall = points - taken
	if shortfall and block_shortfall:
		refuse_shortfall(lot.member, shortfall, points)
	name = _insert_entry(
		lot.member,
		"Reverse",
		-points,
		voucher,
		posting_datetime or now_datetime(),
		key=key,
		allocations=[Allocation(lot_entry, taken)] if taken else [],
		reverses_entry=lot_entry,
		debt_points=shortfall,
		qualifying_points=-points if lot.qualifying_points else 0,
		qualifying_amount=qualifying_amount,
		remarks=remarks,
		earned_delta=-points,
	)
	if shortfall:
		_shift_member(lot.member, debt=shortfall)
	return name


def refuse_shortfall(member: str, shortfall: int, points: int) -> None:
	frappe.throw(
		_(
			"Member {0} has already spent {1} of the {2} points to take back, so this cannot be done. "
			"Set Loyalty Settings to allow a points debt, or credit the member first."
		).format(member, shortfall, points),
		PointsShortfallError,
	)


def give_back(
	consuming_entry: str,
	points: int,
	voucher: Voucher,
	*,
	key: str,
	posting_datetime: datetime | None = None,
	remarks: str | None = None,
) -> str | None:
	"""Give back `points` of what `consuming_entry` spent (a points refund): into the lots it came from
	while they stand (not reversed, not expired), earliest first; any rest as a new lot. The caller has
	run the posting checks. Returns the entry that gave back to the lots, or the new lot."""
	posted_at = posting_datetime or now_datetime()
	member = frappe.db.get_value(LEDGER, consuming_entry, "member")
	lock_member(member)
	if existing := locked_entry_by_key(key) or locked_entry_by_key(f"{key}:new-lot"):
		return existing
	standing = frappe.db.sql(
		"""select a.lot, a.points - coalesce((select sum(b.points) from `tabPoints Ledger Allocation` b
				join `tabPoints Ledger Entry` back on back.name = b.parent
				where back.reverses_entry = %(entry)s and back.points > 0 and b.lot = a.lot), 0) as open_points
		from `tabPoints Ledger Allocation` a join `tabPoints Ledger Entry` lot on lot.name = a.lot
		where a.parent = %(entry)s and (lot.expiry_date is null or lot.expiry_date >= %(today)s)
			and not exists (select 1 from `tabPoints Ledger Entry` r
				where r.idempotency_key = concat('reverse:', lot.name))
		order by lot.expiry_date, a.idx""",
		{"entry": consuming_entry, "today": getdate(posted_at)},
		as_dict=True,
	)
	allocations, left = [], points
	for row in standing:
		share = min(left, row.open_points)
		if share > 0:
			allocations.append(Allocation(row.lot, share))
			left -= share
	name = None
	if allocations:
		name = _insert_entry(
			member,
			"Reverse",
			points - left,
			voucher,
			posted_at,
			key=key,
			allocations=allocations,
			reverses_entry=consuming_entry,
			remarks=remarks,
		)
	if left:
		name = credit(
			member,
			left,
			"Reverse",
			voucher,
			key=f"{key}:new-lot",
			posting_datetime=posted_at,
			remarks=remarks,
			checked=True,
		)
	return name


def reverse_caused_by(
	cause: Voucher,
	*,
	block_shortfall: bool,
	posting_datetime: datetime | None = None,
	spare_voucher_types: tuple[str, ...] = (),
) -> None:
	"""Undo everything a document caused, latest entry first (on cancel): its own entries and the bonuses
	posted against campaigns or referrals because of it. Entries on `spare_voucher_types` are left to
	their own owner (a tier gift follows the tier, which is re-evaluated after the reversal)."""
	posted_at = posting_datetime or now_datetime()
	for entry in frappe.get_all(
		LEDGER,
		filters={
			"cause_type": cause.doctype,
			"cause_name": cause.name,
			"voucher_type": ("not in", spare_voucher_types or ("",)),
		},
		fields=[
			"name",
			"member",
			"points",
			"entry_type",
			"qualifying_points",
			"qualifying_amount",
			"debt_points",
			"settles_debt",
			"idempotency_key",
			"voucher_type",
			"voucher_no",
			"company",
		],
		order_by="creation desc",
	):
		voucher = Voucher(entry.voucher_type, entry.voucher_no, entry.company, cause=cause)
		key = f"reverse:{entry.name}"
		if entry.idempotency_key.startswith("reverse:") or entry_by_key(key):
			continue
		if entry.points >= 0 and not entry.settles_debt and not _has_allocations(entry.name):
			take_back(
				entry.name,
				_outstanding_credit(entry),
				voucher,
				key=key,
				block_shortfall=block_shortfall,
				posting_datetime=posted_at,
				qualifying_amount=-(entry.qualifying_amount or 0),
				remarks=_("Cancels {0} {1}").format(_(cause.doctype), cause.name),
			)
		elif entry.points < 0 or entry.debt_points or entry.settles_debt:
			_restore(entry, voucher, key, posted_at)
		else:
			_take_back_given(entry, voucher, key, posted_at, block_shortfall)


def _take_back_given(entry, voucher: Voucher, key: str, posted_at: datetime, block_shortfall: bool) -> None:
	"""Undo a give-back into lots (a cancelled return's points refund): take the points from those lots
	again; what has been spent since is refused or becomes debt, as for any take-back."""
	lock_member(entry.member)
	if locked_entry_by_key(key):
		return
	allocations = frappe.db.sql(
		"""select a.lot, least(a.points, lot.remaining_points) as available, a.points
		from `tabPoints Ledger Allocation` a join `tabPoints Ledger Entry` lot on lot.name = a.lot
		where a.parent = %s order by a.idx for update""",
		entry.name,
		as_dict=True,
	)
	taken = [Allocation(row.lot, row.available) for row in allocations if row.available > 0]
	shortfall = entry.points - sum(a.points for a in taken)
	if shortfall and block_shortfall:
		refuse_shortfall(entry.member, shortfall, entry.points)
	cause = voucher.caused_by
	_insert_entry(
		entry.member,
		"Reverse",
		-entry.points,
		voucher,
		posted_at,
		key=key,
		allocations=taken,
		reverses_entry=entry.name,
		debt_points=shortfall,
		remarks=_("Cancels {0} {1}").format(_(cause.doctype), cause.name),
	)
	if shortfall:
		_shift_member(entry.member, debt=shortfall)


def _outstanding_credit(entry) -> int:
	"""What a lot credited, less what returns already took back from it (and did not give back)."""
	taken = 0
	for take in frappe.get_all(LEDGER, filters={"reverses_entry": entry.name}, fields=["name", "points"]):
		if not entry_by_key(f"reverse:{take.name}"):
			taken += -take.points
	return entry.points - taken


def _restore(entry, voucher: Voucher, key: str, posted_at: datetime) -> None:
	"""Give back what a consuming entry took: to its lots while they stand; what it took from lots since
	reversed, or as debt, comes back as a new lot, which settles the member's debt first like any credit.
	Reversing a debt settlement gives the points back to the lot and puts the debt back."""
	lock_member(entry.member)
	if locked_entry_by_key(key):
		return
	allocations = frappe.get_all(
		"Points Ledger Allocation", filters={"parent": entry.name}, fields=["lot", "points"], order_by="idx"
	)
	reversed_lots = {row.lot for row in allocations if entry_by_key(f"reverse:{row.lot}")}
	restorable = [Allocation(row.lot, row.points) for row in allocations if row.lot not in reversed_lots]
	restored = sum(a.points for a in restorable)
	relief = sum(row.points for row in allocations if row.lot in reversed_lots) + (entry.debt_points or 0)
	debt_put_back = sum(row.points for row in allocations) if entry.settles_debt else 0
	cause = voucher.caused_by
	remarks = _("Cancels {0} {1}").format(_(cause.doctype), cause.name)
	_insert_entry(
		entry.member,
		"Reverse",
		restored,
		voucher,
		posted_at,
		key=key,
		allocations=restorable,
		reverses_entry=entry.name,
		qualifying_points=-(entry.qualifying_points or 0),
		qualifying_amount=-(entry.qualifying_amount or 0),
		remarks=remarks,
		earned_delta=restored if entry.entry_type == "Reverse" and not entry.settles_debt else 0,
		redeemed_delta=entry.points if entry.entry_type == "Redeem" else 0,
	)
	if debt_put_back:
		_insert_entry(
			entry.member,
			"Reverse",
			-debt_put_back,
			voucher,
			posted_at,
			key=f"{key}:debt",
			debt_points=debt_put_back,
			remarks=remarks,
		)
		_shift_member(entry.member, debt=debt_put_back)
	if relief:
		credit(
			entry.member,
			relief,
			"Reverse",
			voucher,
			key=f"{key}:refund",
			posting_datetime=posted_at,
			remarks=remarks,
			checked=True,  # points the member had, given back: nothing new is created
		)


def _has_allocations(entry: str) -> bool:
	return bool(frappe.db.exists("Points Ledger Allocation", {"parent": entry}))


def points_earned_on(member: str, on_date: date) -> int:
	"""Points earned on the day, read under the member lock (a locking read): what the daily cap decides on."""
	return int(
		locked_value(
			"""select coalesce(sum(points), 0) from `tabPoints Ledger Entry`
			where member = %s and entry_type = 'Earn' and posting_datetime >= %s
			and posting_datetime < %s + interval 1 day""",
			(member, on_date, on_date),
		)
	)


def _insert_entry(
	member: str,
	entry_type: str,
	points: int,
	voucher: Voucher,
	posting_datetime: datetime,
	*,
	key: str,
	expiry_date: date | None = None,
	allocations: list[Allocation] | tuple = (),
	lot_sign: int | None = None,
	reverses_entry: str | None = None,
	debt_points: int = 0,
	settles_debt: bool = False,
	qualifying_points: int = 0,
	qualifying_amount: float = 0,
	remarks: str | None = None,
	earned_delta: int = 0,
	redeemed_delta: int = 0,
) -> str:
	"""Write one entry. `lot_sign` says whether the allocations give points to their lots (1) or consume
	them (-1); by default the sign of `points`."""
	is_new_lot = points > 0 and not allocations
	cause = voucher.caused_by
	entry = frappe.get_doc(
		{
			"doctype": LEDGER,
			"member": member,
			"entry_type": entry_type,
			"points": points,
			"posting_datetime": posting_datetime,
			"company": voucher.books_company,
			"voucher_type": voucher.doctype,
			"voucher_no": voucher.name,
			"cause_type": cause.doctype,
			"cause_name": cause.name,
			"reverses_entry": reverses_entry,
			"idempotency_key": key,
			"expiry_date": expiry_date if is_new_lot else None,
			"remaining_points": points if is_new_lot else 0,
			"debt_points": debt_points,
			"settles_debt": settles_debt,
			"qualifying_points": qualifying_points,
			"qualifying_amount": qualifying_amount,
			"remarks": remarks,
			"allocations": [{"lot": a.lot_id, "points": a.points} for a in allocations],
		}
	)
	# The ledger's one writer inserts directly: its values are built here, not typed by a user, and a
	# full Document.insert would cost more than the rest of an invoice's loyalty work together.
	entry.name = frappe.generate_hash(length=20)
	entry.set_user_and_timestamp()
	entry.set_parent_in_children()
	entry.db_insert()
	for row in entry.allocations:
		row.name = frappe.generate_hash(length=20)
		row.db_insert()
	notify_webhooks(entry)
	direction = lot_sign or (1 if points > 0 else -1)
	for allocation in allocations:
		frappe.db.sql(
			"update `tabPoints Ledger Entry` set remaining_points = remaining_points + %s where name = %s",
			(direction * allocation.points, allocation.lot_id),
		)
	_shift_member(member, balance=points, earned=earned_delta, redeemed=redeemed_delta)
	return entry.name


def webhooks_watch_the_ledger() -> bool:
	"""Whether any enabled Webhook is on Points Ledger Entry (set-based writes notify only then)."""
	return bool(frappe.cache.get_value("webhooks", get_all_webhooks).get(LEDGER))


def notify_webhooks(entry) -> None:
	"""Frappe Webhooks on Points Ledger Entry (after_insert) see every posting, as for a normal insert."""
	entry.flags.in_insert = True
	run_webhooks(entry, "after_insert")


def expire_lots(members: list[str], today: date) -> tuple[int, int, int]:
	"""Expire what remains of the members' lots with an expiry date before `today`, set-based: one Expire
	entry per member and company (the company of the lots it expires; its cause is the member) with an
	allocation row per lot;
	the lots emptied and the members' balances lowered, under the members' row locks. Webhooks on Points
	Ledger Entry see each entry as for any posting. Call it in a transaction of its own with
	EXPIRY_WORK_TABLES dropped (Frappe allows their DDL only between transactions).
	Returns (members, lots, points) expired."""
	frappe.db.sql(
		"select name from `tabLoyalty Member` where name in %(members)s for update", {"members": members}
	)
	params = {"members": members, "today": today, "now": now_datetime(), "user": frappe.session.user}
	frappe.db.sql(
		"""create temporary table loyalty_expiring_lot (primary key (lot)) as
		select lot.name as lot, lot.member, lot.remaining_points as points, lot.company,
			row_number() over (partition by lot.member, coalesce(lot.company, '')
				order by lot.expiry_date, lot.posting_datetime, lot.name) as idx
		from `tabPoints Ledger Entry` lot
		where lot.member in %(members)s and lot.remaining_points > 0 and lot.expiry_date < %(today)s""",
		params,
	)
	frappe.db.sql(
		"""create temporary table loyalty_expiry_entry (primary key (member, company_key)) as
		select member, coalesce(company, '') as company_key, sum(points) as points, count(*) as lots,
			concat('expire:', member, ':', coalesce(company, ''), ':', %(today)s, ':',
				left(sha2(group_concat(concat(lot, '=', points) order by lot), 256), 12)) as idempotency_key
		from loyalty_expiring_lot group by member, coalesce(company, '')""",
		params,
	)
	frappe.db.sql(
		"""insert into `tabPoints Ledger Entry` (name, creation, modified, owner, modified_by, docstatus,
			member, entry_type, points, posting_datetime, company, cause_type, cause_name, idempotency_key,
			remaining_points, debt_points, settles_debt, qualifying_points, qualifying_amount, remarks)
		select left(sha2(idempotency_key, 256), 20), %(now)s, %(now)s, %(user)s, %(user)s, 0,
			member, 'Expire', -points, %(now)s, nullif(company_key, ''), 'Loyalty Member', member,
			idempotency_key, 0, 0, 0, 0, 0,
			concat(lots, ' lot(s) expired')
		from loyalty_expiry_entry""",
		params,
	)
	frappe.db.sql(
		"""insert into `tabPoints Ledger Allocation` (name, creation, modified, owner, modified_by, docstatus,
			parent, parenttype, parentfield, idx, lot, points)
		select left(sha2(concat(e.idempotency_key, ':', l.lot), 256), 20), %(now)s, %(now)s, %(user)s,
			%(user)s, 0, left(sha2(e.idempotency_key, 256), 20), 'Points Ledger Entry', 'allocations',
			l.idx, l.lot, l.points
		from loyalty_expiring_lot l join loyalty_expiry_entry e
			on e.member = l.member and e.company_key = coalesce(l.company, '')""",
		params,
	)
	frappe.db.sql(
		"""update `tabLoyalty Member` m
		join (select member, sum(points) as points from loyalty_expiry_entry group by member) e
			on e.member = m.name
		set m.points_balance = m.points_balance - e.points""",
	)
	frappe.db.sql(
		"""update `tabPoints Ledger Entry` lot join loyalty_expiring_lot l on l.lot = lot.name
		set lot.remaining_points = 0""",
	)
	summary = frappe.db.sql(
		"select count(distinct member), coalesce(sum(lots), 0), coalesce(sum(points), 0) from loyalty_expiry_entry"
	)[0]
	if webhooks_watch_the_ledger():
		for name in frappe.db.sql_list(
			"select left(sha2(idempotency_key, 256), 20) from loyalty_expiry_entry"
		):
			notify_webhooks(frappe.get_doc(LEDGER, name))
	return summary[0], int(summary[1]), int(summary[2])


POINT_FIGURES = ("points_balance", "lifetime_earned", "lifetime_redeemed", "points_debt")


def move_ledger(duplicate: str, survivor: str) -> int:
	"""A member merge: the duplicate's entries (lots, allocations, history) become the survivor's unchanged
	and its point figures are added to the survivor's (the duplicate's become 0), both rows locked, so
	balance = sum of entries = lot remainders − debt holds for both. Returns the entries moved."""
	frappe.db.sql(
		"select name from `tabLoyalty Member` where name in %(members)s order by name for update",
		{"members": (duplicate, survivor)},
	)
	frappe.db.sql("update `tabPoints Ledger Entry` set member = %s where member = %s", (survivor, duplicate))
	moved = frappe.db._cursor.rowcount
	frappe.db.sql(
		f"""update `tabLoyalty Member` s join `tabLoyalty Member` d on d.name = %(duplicate)s
		set {", ".join(f"s.{f} = s.{f} + d.{f}" for f in POINT_FIGURES)}
		where s.name = %(survivor)s""",
		{"duplicate": duplicate, "survivor": survivor},
	)
	frappe.db.sql(
		f"update `tabLoyalty Member` set {', '.join(f'{f} = 0' for f in POINT_FIGURES)} where name = %s",
		duplicate,
	)
	return moved


def _shift_member(
	member: str, *, balance: int = 0, earned: int = 0, redeemed: int = 0, debt: int = 0
) -> None:
	frappe.db.sql(
		"""update `tabLoyalty Member` set points_balance = points_balance + %s,
		lifetime_earned = lifetime_earned + %s, lifetime_redeemed = lifetime_redeemed + %s,
		points_debt = points_debt + %s where name = %s""",
		(balance, earned, redeemed, debt, member),
	)


def post_opening_balances(voucher: Voucher, lots_query: str, figures_query: str, params: dict) -> int:
	"""Opening balances brought from another system, set-based: an Import lot per row of `lots_query`.

	`lots_query` selects (member, points, expiry_date, idempotency_key), one row per lot;
	`figures_query` selects (member, lifetime_earned, lifetime_redeemed), one row per member: the lifetime
	figures as the old system recorded them, added to the member's. The members are locked here and must
	owe no points debt (an opening balance is for a member new to the ledger). A key already in the ledger
	is refused by its unique index, so the caller's transaction posts each lot once. Returns points posted.
	"""
	values = _bulk_values(
		voucher, params, _("Opening balance from {0} {1}").format(_(voucher.doctype), voucher.name)
	)
	_lock_members_without_debt(figures_query, values)
	lots = f"""select lot.member, 'Import' as entry_type, lot.points, %(company)s as company,
			null as reverses_entry, lot.idempotency_key, lot.expiry_date, lot.points as remaining_points
		from ({lots_query}) lot where lot.points > 0"""
	return _post_in_bulk(lots, figures_query, values, sign=1)


def reverse_opening_balances(voucher: Voucher, figures_query: str, params: dict) -> int:
	"""Take back, set-based, the opening balances `voucher` posted for the members of `figures_query`.

	Each of the voucher's Import lots of those members is emptied by a Reverse entry (keyed like
	`reverse_caused_by`'s, so nothing is reversed twice) and the lifetime figures the opening added are
	taken off again. The caller has checked that none of these points were spent. Returns points taken back.
	"""
	values = _bulk_values(voucher, params, _("Cancels {0} {1}").format(_(voucher.doctype), voucher.name))
	_lock_members_without_debt(figures_query, values)
	reversals = f"""select lot.member, 'Reverse' as entry_type, -lot.remaining_points as points, lot.company,
			lot.name as reverses_entry, concat('reverse:', lot.name) as idempotency_key, null as expiry_date,
			0 as remaining_points
		from `tabPoints Ledger Entry` lot join ({figures_query}) f on f.member = lot.member
		where lot.voucher_type = %(voucher_type)s and lot.voucher_no = %(voucher_no)s
			and lot.entry_type = 'Import' and lot.remaining_points > 0"""
	# Each reversal consumes its whole lot: one allocation row, and the lot is emptied.
	frappe.db.sql(
		f"""insert into `tabPoints Ledger Allocation` (name, creation, modified, owner, modified_by, docstatus,
			parent, parenttype, parentfield, idx, lot, points)
		select left(sha2(concat(r.idempotency_key, ':allocation'), 256), 20), %(now)s, %(now)s, %(user)s,
			%(user)s, 0, left(sha2(r.idempotency_key, 256), 20), 'Points Ledger Entry', 'allocations', 1,
			r.reverses_entry, -r.points
		from ({reversals}) r""",
		values,
	)
	taken = -_post_in_bulk(reversals, figures_query, values, sign=-1)
	frappe.db.sql(
		f"""update `tabPoints Ledger Entry` lot join ({figures_query}) f on f.member = lot.member
		set lot.remaining_points = 0
		where lot.voucher_type = %(voucher_type)s and lot.voucher_no = %(voucher_no)s
			and lot.entry_type = 'Import' and lot.remaining_points > 0""",
		values,
	)
	return taken


def _post_in_bulk(entries_query: str, figures_query: str, values: dict, sign: int) -> int:
	"""Insert the entries of `entries_query` (member, entry_type, points, company, reverses_entry,
	idempotency_key, expiry_date, remaining_points), add their points to the members' balances and
	`sign` × the lifetime figures of `figures_query`, and tell the webhooks. The voucher (the import batch)
	is each entry's cause. Returns the points posted."""
	posted = int(frappe.db.sql(f"select coalesce(sum(points), 0) from ({entries_query}) e", values)[0][0])
	# Two updates, each driven by its small side and finding the members by primary key.
	frappe.db.sql(
		f"""update `tabLoyalty Member` m
		join (select member, sum(points) as points from ({entries_query}) e group by member) e on e.member = m.name
		set m.points_balance = m.points_balance + e.points""",
		values,
	)
	frappe.db.sql(
		f"""update `tabLoyalty Member` m join ({figures_query}) f on f.member = m.name
		set m.lifetime_earned = m.lifetime_earned + %(sign)s * f.lifetime_earned,
			m.lifetime_redeemed = m.lifetime_redeemed + %(sign)s * f.lifetime_redeemed""",
		{**values, "sign": sign},
	)
	frappe.db.sql(
		f"""insert into `tabPoints Ledger Entry` (name, creation, modified, owner, modified_by, docstatus,
			member, entry_type, points, posting_datetime, company, voucher_type, voucher_no, cause_type,
			cause_name, reverses_entry, idempotency_key, expiry_date, remaining_points, debt_points,
			settles_debt, qualifying_points, qualifying_amount, remarks)
		select left(sha2(e.idempotency_key, 256), 20), %(now)s, %(now)s, %(user)s, %(user)s, 0,
			e.member, e.entry_type, e.points, %(now)s, e.company, %(voucher_type)s, %(voucher_no)s,
			%(voucher_type)s, %(voucher_no)s, e.reverses_entry, e.idempotency_key, e.expiry_date, e.remaining_points, 0, 0, 0, 0, %(remarks)s
		from ({entries_query}) e""",
		values,
	)
	if webhooks_watch_the_ledger():
		for name in frappe.db.sql_list(
			f"select left(sha2(idempotency_key, 256), 20) from ({entries_query}) e", values
		):
			notify_webhooks(frappe.get_doc(LEDGER, name))
	return posted


def _bulk_values(voucher: Voucher, params: dict, remarks: str) -> dict:
	return {
		**params,
		"now": now_datetime(),
		"user": frappe.session.user,
		"voucher_type": voucher.doctype,
		"voucher_no": voucher.name,
		"company": voucher.company,
		"remarks": remarks,
	}


def _lock_members_without_debt(figures_query: str, values: dict) -> None:
	rows = frappe.db.sql(
		f"""select m.name, m.points_debt from `tabLoyalty Member` m join ({figures_query}) f on f.member = m.name
		order by m.name for update""",
		values,
	)
	if indebted := [name for name, debt in rows if debt]:
		frappe.throw(
			_("Opening balances are for members without points debt; {0} owe points").format(
				", ".join(indebted[:10])
			)
		)
