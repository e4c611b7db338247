"""Outreach Settings as typed values."""

from dataclasses import dataclass

import frappe
from frappe.utils import get_time

from loyalty_app.engine.outreach import FrequencyCap, QuietHours


@dataclass(frozen=True)
class OutreachSettings:
	quiet_hours: QuietHours
	cap: FrequencyCap
	default_language: str
	expiry_notice_days: int
	webhook_url: str
	webhook_secret: str


def get_outreach_settings() -> OutreachSettings:
	doc = frappe.get_cached_doc("Outreach Settings")
	return OutreachSettings(
		quiet_hours=QuietHours(
			get_time(doc.quiet_hours_start) if doc.quiet_hours_start else None,
			get_time(doc.quiet_hours_end) if doc.quiet_hours_end else None,
		),
		cap=FrequencyCap(doc.frequency_cap_messages or 0, doc.frequency_cap_days or 0),
		default_language=doc.default_language or "zh",
		expiry_notice_days=doc.expiry_notice_days or 0,
		webhook_url=doc.webhook_url or "",
		webhook_secret=doc.get_password("webhook_secret", raise_exception=False) or "",
	)
