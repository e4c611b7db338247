frappe.ui.form.on("Customer", {
	refresh(frm) {
		if (frm.is_new()) return;
		frappe.db.get_value("Loyalty Member", { customer: frm.doc.name }, "name").then(({ message }) => {
			if (message && message.name) {
				frm.add_custom_button(__("Loyalty Member"), () =>
					frappe.set_route("Form", "Loyalty Member", message.name)
				);
			} else if (frappe.model.can_create("Loyalty Member")) {
				frm.add_custom_button(__("Enrol as Loyalty Member"), () =>
					frappe.new_doc("Loyalty Member", {
						customer: frm.doc.name,
						member_name: frm.doc.customer_name,
						mobile_no: frm.doc.mobile_no,
						email: frm.doc.email_id,
					})
				);
			}
		});
	},
});
