import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils.jinja import validate_template


class MessageTemplate(Document):
	def validate(self):
		languages = [row.language for row in self.texts]
		if len(languages) != len(set(languages)):
			frappe.throw(_("Each language can have only one text"))
		for row in self.texts:
			if self.channel == "Email" and not row.subject:
				frappe.throw(_("Row {0}: an email needs a subject").format(row.idx))
			validate_template(row.subject or "")
			validate_template(row.body)
