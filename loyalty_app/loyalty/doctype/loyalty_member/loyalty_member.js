// A member's privacy and trust actions for loyalty staff: verify the mobile number (clerks too), and for
// Loyalty Managers export the member's data, merge a duplicate into another member, erase personal data.
frappe.ui.form.on("Loyalty Member", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.erased) return;
		const manager = frappe.user.has_role("Loyalty Manager") || frappe.user.has_role("System Manager");
		if (!frm.doc.mobile_verified && frm.doc.status === "Active") {
			frm.add_custom_button(__("Mark Mobile Verified"), () =>
				frappe
					.call("loyalty_app.api.pos.verify_mobile", { member: frm.doc.name })
					.then(() => frm.reload_doc())
			);
		}
		if (!manager) return;
		frm.add_custom_button(
			__("Download Member Data"),
			() =>
				window.open(
					`/api/method/loyalty_app.trust.api.download_member_data?member=${encodeURIComponent(
						frm.doc.name
					)}`
				),
			__("Privacy")
		);
		frm.add_custom_button(
			__("Erase Personal Data"),
			() =>
				frappe.prompt(
					{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 },
					({ reason }) =>
						frappe.confirm(
							__(
								"Erase {0}'s personal data for good? Points, ledger and accounting stay as they are.",
								[frm.doc.member_name]
							),
							() =>
								frappe
									.call("loyalty_app.trust.api.erase_member", {
										member: frm.doc.name,
										reason,
									})
									.then(() => frm.reload_doc())
						),
					__("Erase Personal Data")
				),
			__("Privacy")
		);
		if (frm.doc.status !== "Closed") {
			frm.add_custom_button(__("Merge Into Another Member"), () =>
				frappe.new_doc("Member Merge", { duplicate_member: frm.doc.name })
			);
		}
	},
});
