// A shopping guide's QR code: the enrolment link (Channel Settings) carrying this Sales Person.
frappe.ui.form.on("Sales Person", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.is_group || !frm.doc.enabled) return;
		frm.add_custom_button(__("Guide QR Code"), () =>
			frappe
				.call({
					method: "loyalty_app.channels.api.guide_qr_code",
					args: { sales_person: frm.doc.name },
					type: "GET",
				})
				.then(({ message }) => {
					const dialog = new frappe.ui.Dialog({ title: __("Guide QR Code") });
					dialog.$body.html(
						`<div class="text-center">${message.svg}<p><code>${frappe.utils.escape_html(
							message.link
						)}</code></p></div>`
					);
					dialog.show();
				})
		);
	},
});
