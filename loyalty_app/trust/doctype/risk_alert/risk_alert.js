frappe.ui.form.on("Risk Alert", {
	refresh(frm) {
		if (!frappe.user.has_role("Loyalty Manager") && !frappe.user.has_role("System Manager")) return;
		const decide = (decision, label) =>
			frm.add_custom_button(
				label,
				() =>
					frappe.prompt(
						{ fieldname: "note", fieldtype: "Small Text", label: __("Review Note") },
						({ note }) =>
							frappe
								.call("loyalty_app.trust.api.decide_alert", {
									alert: frm.doc.name,
									decision,
									note,
								})
								.then(() => frm.reload_doc()),
						label
					),
				__("Decide")
			);
		if (frm.doc.status === "Open") {
			decide("Approve", __("Approve"));
			decide("Reject", __("Reject"));
			decide("Dismiss", __("Dismiss"));
		}
		if (["Open", "Approved"].includes(frm.doc.status) && frm.doc.action_taken !== "Alert only") {
			decide("Release", __("Release Member"));
		}
	},
});
