import json

import frappe
from frappe import _
from frappe.model.document import Document

from loyalty_app.trust.services.merge import merge


class MemberMerge(Document):
	def on_submit(self):
		result = merge(self.duplicate_member, self.surviving_member)
		self.db_set(
			{
				"points_moved": result["points"],
				"ledger_entries_moved": result["moved"].get("Points Ledger Entry.member", 0),
				"records_moved": json.dumps(result["moved"], indent=1, sort_keys=True),
			}
		)

	def before_cancel(self):
		frappe.throw(_("A merge cannot be cancelled: merge the members the other way round if needed"))
