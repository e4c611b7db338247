frappe.ui.form.on("Member Event Registration", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.status === "Attended") return;
		frm.add_custom_button(__("Check In"), () =>
			frappe
				.call("loyalty_app.outreach.doctype.member_event.member_event.check_in", {
					member_event: frm.doc.member_event,
					member: frm.doc.member,
				})
				.then(() => frm.reload_doc())
		);
	},
});
