frappe.ui.form.on("Member Event", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Check In"), () => {
			frappe.prompt(
				{ fieldname: "member", fieldtype: "Link", options: "Loyalty Member", label: __("Member"), reqd: 1 },
				({ member }) =>
					frappe
						.call("loyalty_app.outreach.doctype.member_event.member_event.check_in", {
							member_event: frm.doc.name,
							member,
						})
						.then(({ message }) => {
							frappe.show_alert(
								message.already_checked_in
									? __("{0} was already checked in", [member])
									: __("{0} checked in ({1} points)", [member, message.points_awarded])
							);
							frm.reload_doc();
						}),
				__("Check In")
			);
		});
		frm.add_custom_button(__("Registrations"), () =>
			frappe.set_route("List", "Member Event Registration", { member_event: frm.doc.name })
		);
		if (!frm.has_perm("write")) return;
		if (frm.doc.invitation_template) {
			frm.add_custom_button(__("Send Invitations"), () =>
				frm.call("send_invitations").then(({ message }) => frappe.set_route("Form", "Message Send", message))
			);
		}
		frm.add_custom_button(__("Refresh Results"), () => frm.call("refresh_results").then(() => frm.reload_doc()));
	},
});
