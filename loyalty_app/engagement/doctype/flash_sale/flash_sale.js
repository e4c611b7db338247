frappe.ui.form.on("Flash Sale", {
	refresh(frm) {
		if (frm.is_new() || !frm.doc.enabled) return;
		frm.add_custom_button(__("Redeem for a Member"), () => {
			frappe.prompt(
				[{ fieldname: "member", fieldtype: "Link", options: "Loyalty Member", label: __("Member"), reqd: 1 }],
				({ member }) =>
					frappe
						.call({
							method: "loyalty_app.engagement.doctype.flash_sale.flash_sale.redeem_for_member",
							args: { sale_name: frm.doc.name, member },
						})
						.then(({ message }) => frappe.set_route("Form", "Reward Redemption", message)),
				__("Redeem for a Member")
			);
		});
	},
});
