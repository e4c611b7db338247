"""Segments of members: who a coupon issue, a message send or an event invitation reaches."""

from collections.abc import Iterable

from loyalty_app.insight.services.report_filters import Conditions


def member_segment(
	*,
	tiers: Iterable[str] = (),
	tag: str | None = None,
	community_group: str | None = None,
	lifecycle_stage: str | None = None,
	rfm_segment: str | None = None,
) -> Conditions:
	"""Active members (`tabLoyalty Member` as m) matching every criterion given."""
	segment = Conditions().add("m.status = 'Active'")
	if tiers := tuple(tiers):
		segment.add("m.tier in %(tiers)s", tiers=tiers)
	if lifecycle_stage:
		segment.add("m.lifecycle_stage = %(lifecycle_stage)s", lifecycle_stage=lifecycle_stage)
	if rfm_segment:
		segment.add("m.rfm_segment = %(rfm_segment)s", rfm_segment=rfm_segment)
	if tag:
		segment.add(
			"exists (select 1 from `tabLoyalty Member Tag` t where t.parent = m.name and t.tag = %(tag)s)",
			tag=tag,
		)
	if community_group:
		segment.add(
			"""exists (select 1 from `tabCommunity Membership` g where g.member = m.name
			and g.community_group = %(community_group)s and g.status = 'Active')""",
			community_group=community_group,
		)
	return segment
