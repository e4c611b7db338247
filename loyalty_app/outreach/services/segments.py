"""Who a send or an event invitation reaches: active members matching every condition set."""

import frappe


def segment_condition(doc) -> tuple[str, dict]:
	"""SQL over `tabLoyalty Member` m for a document with tiers, tag, community_group,
	lifecycle_stage and rfm_segment fields (Message Send, Member Event)."""
	conditions, values = ["m.status = 'Active'"], {}
	if tiers := [row.tier for row in doc.get("tiers") or []]:
		conditions.append("m.tier in %(tiers)s")
		values["tiers"] = tuple(tiers)
	if doc.get("lifecycle_stage"):
		conditions.append("m.lifecycle_stage = %(lifecycle_stage)s")
		values["lifecycle_stage"] = doc.lifecycle_stage
	if doc.get("rfm_segment"):
		conditions.append("m.rfm_segment = %(rfm_segment)s")
		values["rfm_segment"] = doc.rfm_segment
	if doc.get("tag"):
		conditions.append(
			"exists (select 1 from `tabLoyalty Member Tag` t where t.parent = m.name and t.tag = %(tag)s)"
		)
		values["tag"] = doc.tag
	if doc.get("community_group"):
		conditions.append(
			"""exists (select 1 from `tabCommunity Membership` g where g.member = m.name
			and g.community_group = %(community_group)s and g.status = 'Active')"""
		)
		values["community_group"] = doc.community_group
	return " and ".join(conditions), values


def count_members(doc) -> int:
	condition, values = segment_condition(doc)
	return frappe.db.sql(f"select count(*) from `tabLoyalty Member` m where {condition}", values)[0][0]
