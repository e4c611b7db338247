// Loyalty Manager: give a member another shopping guide (导购), with the reason (a Guide Assignment row).
frappe.ui.form.on("Loyalty Member", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.erased || frm.doc.status === "Closed") return;
		if (!(frappe.user.has_role("Loyalty Manager") || frappe.user.has_role("System Manager"))) return;
		frm.add_custom_button(__("Reassign Guide"), () =>
			frappe.prompt(
				[
					{
						fieldname: "sales_person",
						fieldtype: "Link",
						options: "Sales Person",
						label: __("Shopping Guide"),
						default: frm.doc.shopping_guide,
						get_query: () => ({ filters: { is_group: 0, enabled: 1 } }),
					},
					{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 },
				],
				({ sales_person, reason }) =>
					frappe
						.call("loyalty_app.channels.api.reassign_guide", {
							member: frm.doc.name,
							sales_person,
							reason,
						})
						.then(() => frm.reload_doc()),
				__("Reassign Guide")
			)
		);
	},
});
