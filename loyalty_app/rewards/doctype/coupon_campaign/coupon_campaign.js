frappe.ui.form.on("Coupon Campaign", {
	refresh(frm) {
		if (frm.is_new() || !frm.has_perm("write")) return;
		frm.add_custom_button(__("Generate Codes"), () => {
			frappe.prompt(
				{ fieldname: "quantity", fieldtype: "Int", label: __("How many codes"), reqd: 1, default: 1000 },
				({ quantity }) =>
					frm.call("generate_codes", { quantity }).then(() => {
						frappe.show_alert(__("Generating {0} codes in the background", [quantity]));
						frm.reload_doc();
					}),
				__("Generate Open Codes")
			);
		});
		if (frm.doc.generation_status === "Failed") {
			frm.add_custom_button(__("Resume Generation"), () =>
				frm.call("generate_codes", { quantity: 0 }).then(() => {
					frappe.show_alert(__("Generating the missing codes in the background"));
					frm.reload_doc();
				})
			);
		}
		frm.add_custom_button(__("Issue to Members"), () => {
			frappe.prompt(
				[
					{ fieldname: "tier", fieldtype: "Link", options: "Membership Tier", label: __("Tier") },
					{ fieldname: "tag", fieldtype: "Link", options: "Tag", label: __("Tag") },
					{
						fieldname: "lifecycle_stage",
						fieldtype: "Select",
						options: ["", "New", "First purchase", "Active", "Loyal", "At risk", "Lapsed", "Won back"],
						label: __("Lifecycle Stage"),
					},
					{
						fieldname: "rfm_segment",
						fieldtype: "Select",
						options: ["", "Champions", "Loyal", "Potential", "New", "At risk", "Can't lose", "Hibernating", "Lost"],
						label: __("RFM Segment"),
					},
					{
						fieldname: "community_group",
						fieldtype: "Link",
						options: "Community Group",
						label: __("Community Group"),
					},
				],
				(values) =>
					frm.call("issue_to_segment", values).then(() => {
						frappe.show_alert(__("The codes are being issued in the background"));
					}),
				__("Issue one code to each consenting member of a segment")
			);
		});
	},
});

