"""Who a send or an event invitation reaches: active members matching every condition set."""

import frappe

from loyalty_app.insight.services.segments import member_segment


def segment_condition(doc) -> tuple[str, dict]:
	"""SQL over `tabLoyalty Member` m for a document with tiers, tag, community_group,
	lifecycle_stage and rfm_segment fields (Message Send, Member Event)."""
	segment = member_segment(
		tiers=[row.tier for row in doc.get("tiers") or []],
		tag=doc.get("tag"),
		community_group=doc.get("community_group"),
		lifecycle_stage=doc.get("lifecycle_stage"),
		rfm_segment=doc.get("rfm_segment"),
	)
	return str(segment), segment.values


def count_members(doc) -> int:
	condition, values = segment_condition(doc)
	return frappe.db.sql(f"select count(*) from `tabLoyalty Member` m where {condition}", values)[0][0]
