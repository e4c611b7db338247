frappe.ui.form.on("Points Lottery", {
	refresh(frm) {
		if (frm.is_new() || !frm.doc.enabled) return;
		frm.add_custom_button(__("Draw for a Member"), () => {
			frappe.prompt(
				[{ fieldname: "member", fieldtype: "Link", options: "Loyalty Member", label: __("Member"), reqd: 1 }],
				({ member }) =>
					frappe
						.call({
							method: "loyalty_app.engagement.doctype.points_lottery.points_lottery.enter_for_member",
							args: { lottery_name: frm.doc.name, member },
						})
						.then(({ message }) => {
							frappe.msgprint(
								message.won
									? __("{0} won {1}", [member, message.prize])
									: __("{0} did not win this time", [member])
							);
							frm.reload_doc();
						}),
				__("Draw for a Member")
			);
		});
	},
});
