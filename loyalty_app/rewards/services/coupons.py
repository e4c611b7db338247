"""Coupon campaigns on ERPNext's Coupon Code + Pricing Rule.

A campaign keeps one coupon-based Pricing Rule that applies to the whole transaction: ERPNext matches a
transaction-level rule through the entered code's own `pricing_rule`, so any number of codes work with
one rule (its item-level matching compares against a single code per rule, which bulk codes cannot use).
POS Invoices (and Sales Orders) then apply, validate (dates, uses) and count the codes natively. Codes
bound to a member are ERPNext "Gift Card" coupons for the member's customer; this module also refuses a
bound code on another member's invoice and enforces the campaign's per-member limit.

Codes are generated set-based (bulk INSERT in chunks, one transaction each) from 32 unambiguous characters
with a cryptographic random source; collisions with existing codes are drawn again before inserting.
A campaign records how many open codes were requested in all; a generation makes only what is missing,
so a run that stopped half-way is resumed, never repeated.
"""

import secrets

import frappe
from frappe import _
from frappe.utils import add_days, getdate, now_datetime, today
from frappe.utils.background_jobs import is_job_enqueued

from loyalty_app.insight.services.segments import member_segment
from loyalty_app.utils import STANDARD_COLUMNS, lock_row, locked_value, save_kept_document

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATION_CHUNK = 1000
BULK_GENERATION_THRESHOLD = 500


class CouponNotAllowedError(frappe.ValidationError):
	pass


def sync_pricing_rule(campaign) -> str:
	"""Create or update the campaign's transaction-level, coupon-based Pricing Rule."""
	return save_kept_document(
		"Pricing Rule",
		campaign.pricing_rule,
		{
			"title": _("Coupon campaign {0}").format(campaign.campaign_name),
			"apply_on": "Transaction",
			"price_or_product_discount": "Price",
			"selling": 1,
			"coupon_code_based": 1,
			"company": campaign.company,
			"min_amt": campaign.minimum_spend or 0,
			"valid_from": campaign.valid_from,
			"valid_upto": campaign.valid_upto,
			"rate_or_discount": "Discount Percentage"
			if campaign.discount_type == "Percentage"
			else "Discount Amount",
			"discount_percentage": campaign.discount_value if campaign.discount_type == "Percentage" else 0,
			"discount_amount": campaign.discount_value if campaign.discount_type == "Amount" else 0,
			"disable": 0,
		},
	).name


def new_codes(count: int, prefix: str, length: int) -> list[str]:
	"""`count` codes that exist nowhere yet."""
	codes: set[str] = set()
	while len(codes) < count:
		batch = {
			prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
			for _ in range(count - len(codes))
		}
		taken = set(
			frappe.db.sql_list(
				"select coupon_code from `tabCoupon Code` where coupon_code in %s", [tuple(batch)]
			)
		)
		codes |= batch - taken
	return list(codes)


def insert_codes(campaign, members: list[str | None]) -> list[str]:
	"""One code per entry of `members` (None = an open code); a bulk insert, no per-code documents."""
	customers = dict(
		frappe.get_all(
			"Loyalty Member",
			filters={"name": ("in", [m for m in members if m])},
			fields=["name", "customer"],
			as_list=True,
		)
	)
	codes = new_codes(len(members), (campaign.code_prefix or "").upper(), max(campaign.code_length or 10, 8))
	now, user = now_datetime(), frappe.session.user
	frappe.db.bulk_insert(
		"Coupon Code",
		fields=[
			*STANDARD_COLUMNS,
			"coupon_name",
			"coupon_code",
			"coupon_type",
			"customer",
			"pricing_rule",
			"valid_from",
			"valid_upto",
			"maximum_use",
			"used",
			"coupon_campaign",
			"loyalty_member",
		],
		values=[
			(
				code,
				now,
				now,
				user,
				user,
				0,
				code,
				code,
				"Gift Card" if member else "Promotional",
				customers.get(member),
				campaign.pricing_rule,
				campaign.valid_from,
				campaign.valid_upto,
				campaign.uses_per_code or 0,
				0,
				campaign.name,
				member,
			)
			for code, member in zip(codes, members, strict=True)
		],
	)
	return codes


def open_code_count(campaign_name: str) -> int:
	return frappe.db.count(
		"Coupon Code", {"coupon_campaign": campaign_name, "loyalty_member": ("is", "not set")}
	)


def generate_open_codes(campaign_name: str, max_chunks: int | None = None) -> int:
	"""Background job: generate the open codes still missing from what was requested, in chunks, committing
	and reporting progress per chunk. A run that stopped half-way (an error, a killed worker, or
	`max_chunks` reached) is resumed by the next run, which generates only the rest; a run after a
	complete one generates nothing. Returns how many codes this run generated."""
	campaign = frappe.get_doc("Coupon Campaign", campaign_name)
	campaign.db_set("generation_status", "Running")
	frappe.db.commit()  # nosemgrep: progress must be visible while the job runs
	requested = campaign.open_codes_requested or 0
	missing = requested - open_code_count(campaign_name)
	done = chunks = 0
	try:
		while done < missing and (max_chunks is None or chunks < max_chunks):
			chunk = min(GENERATION_CHUNK, missing - done)
			insert_codes(campaign, [None] * chunk)
			done += chunk
			chunks += 1
			frappe.db.commit()  # nosemgrep: one transaction per chunk
			frappe.publish_progress(
				(requested - missing + done) * 100 / requested,
				title=_("Generating coupon codes"),
				doctype=campaign.doctype,
				docname=campaign.name,
			)
		campaign.db_set("generation_status", "Completed" if done >= missing else "Failed")
		frappe.db.commit()  # nosemgrep
	except Exception:
		frappe.db.rollback()
		campaign.db_set("generation_status", "Failed")
		frappe.db.commit()  # nosemgrep
		raise
	return max(done, 0)


def enqueue_generation(campaign_name: str, quantity: int) -> None:
	"""Ask for `quantity` more open codes (0: only resume a generation that stopped half-way)."""
	if quantity < 0:
		frappe.throw(_("Enter how many codes to generate"))
	job_id = f"loyalty-coupon-generation:{campaign_name}"
	if is_job_enqueued(job_id):
		frappe.throw(_("A code generation for this campaign is already under way"))
	already_requested = frappe.db.get_value(
		"Coupon Campaign", campaign_name, "open_codes_requested", for_update=True
	)
	existing = open_code_count(campaign_name)
	requested = max(already_requested or 0, existing) + quantity
	if requested <= existing:
		frappe.throw(_("Enter how many codes to generate"))
	frappe.db.set_value(
		"Coupon Campaign",
		campaign_name,
		{"generation_status": "Queued", "open_codes_requested": requested},
	)
	_enqueue_once(
		generate_open_codes,
		job_id,
		campaign_name=campaign_name,
		now=requested - existing < BULK_GENERATION_THRESHOLD or frappe.flags.in_test,
	)


def issue_code(campaign_name: str, member: str) -> str:
	"""A new code bound to the member (for a coupon reward or a personal offer)."""
	campaign = frappe.get_doc("Coupon Campaign", campaign_name)
	return insert_codes(campaign, [member])[0]


def issue_to_segment(
	campaign_name: str,
	tier: str | None = None,
	tag: str | None = None,
	community_group: str | None = None,
	lifecycle_stage: str | None = None,
	rfm_segment: str | None = None,
	commit: bool = False,
) -> int:
	"""Bind one new code to every active, consenting member in the segment who has no unused code yet.

	Members are taken in chunks by name; `commit` (the background job) makes each chunk one transaction
	and reports progress, and a rerun after a crash skips whoever already got a code."""
	segment = member_segment(
		tiers=[tier] if tier else [],
		tag=tag,
		community_group=community_group,
		lifecycle_stage=lifecycle_stage,
		rfm_segment=rfm_segment,
	).add("m.marketing_consent = 1")
	campaign = frappe.get_doc("Coupon Campaign", campaign_name)
	issued, after = 0, ""
	while members := frappe.db.sql_list(
		f"""select m.name from `tabLoyalty Member` m where {segment} and m.name > %(after)s
		and not exists (select 1 from `tabCoupon Code` c where c.loyalty_member = m.name
			and c.coupon_campaign = %(campaign)s and c.used = 0)
		order by m.name limit %(chunk)s""",
		{**segment.values, "campaign": campaign_name, "after": after, "chunk": GENERATION_CHUNK},
	):
		insert_codes(campaign, members)
		issued, after = issued + len(members), members[-1]
		if commit:
			frappe.db.commit()  # nosemgrep: one transaction per chunk
			frappe.publish_progress(
				0, title=_("{0} codes issued").format(issued), doctype=campaign.doctype, docname=campaign.name
			)
	return issued


def enqueue_issue_to_segment(campaign_name: str, **segment) -> None:
	"""Issue to a segment as a background job (the web request only queues it)."""
	_enqueue_once(
		issue_to_segment,
		f"loyalty-coupon-issue:{frappe.local.site}:{campaign_name}",
		campaign_name=campaign_name,
		commit=True,
		**segment,
	)


def _enqueue_once(method, job_id: str, **kwargs) -> None:
	"""A long job, queued when the request commits, and not again while one with its id is queued."""
	frappe.enqueue(method, queue="long", job_id=job_id, deduplicate=True, enqueue_after_commit=True, **kwargs)


def void_code(coupon: str) -> None:
	"""An unused code is voided by ending its validity yesterday, so ERPNext refuses it from now on."""
	frappe.db.set_value(
		"Coupon Code",
		coupon,
		{"valid_upto": add_days(today(), -1), "description": _("Voided")},
		update_modified=True,
	)


def check_invoice_coupon(invoice) -> None:
	"""A member-bound code only on its member's invoice, and no more codes per member than allowed."""
	if not invoice.get("coupon_code"):
		return
	coupon = frappe.db.get_value(
		"Coupon Code", invoice.coupon_code, ["coupon_campaign", "loyalty_member", "customer"], as_dict=True
	)
	if not coupon or not coupon.coupon_campaign:
		return
	if (coupon.loyalty_member and coupon.loyalty_member != invoice.get("loyalty_member")) or (
		coupon.customer and coupon.customer != invoice.customer
	):
		frappe.throw(
			_("Coupon {0} belongs to another member").format(invoice.coupon_code), CouponNotAllowedError
		)
	limit = frappe.db.get_value("Coupon Campaign", coupon.coupon_campaign, "per_member_limit")
	if limit and invoice.get("loyalty_member"):
		lock_row(
			"Coupon Campaign", coupon.coupon_campaign
		)  # two tills submitting at once are counted in turn
		used = locked_value(
			"""select count(*) from `tabPOS Invoice` i join `tabCoupon Code` c on c.name = i.coupon_code
			where c.coupon_campaign = %s and i.customer = %s and i.docstatus = 1 and i.name != %s""",
			(coupon.coupon_campaign, invoice.customer, invoice.name or ""),
		)
		if used >= limit:
			frappe.throw(
				_("Member {0} has already used {1} code(s) of campaign {2}").format(
					invoice.loyalty_member, used, coupon.coupon_campaign
				),
				CouponNotAllowedError,
			)


def campaign_figures(campaign_name: str) -> dict[str, int]:
	row = frappe.db.sql(
		"""select count(*), count(loyalty_member), sum(used > 0),
			sum(used = 0 and valid_upto is not null and valid_upto < %s)
		from `tabCoupon Code` where coupon_campaign = %s""",
		(getdate(), campaign_name),
	)[0]
	return {
		"issued_count": row[0] or 0,
		"bound_count": row[1] or 0,
		"used_count": int(row[2] or 0),
		"expired_count": int(row[3] or 0),
	}
