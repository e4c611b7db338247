frappe.ui.form.on("Message Send", {
	setup(frm) {
		frappe.realtime.on("progress", (data) => {
			if (data.doctype === "Message Send" && data.docname === frm.doc.name && data.percent >= 100) {
				frm.reload_doc();
			}
		});
	},
	refresh(frm) {
		if (frm.is_new()) return;
		if (!["Queued", "Running"].includes(frm.doc.status) && frm.has_perm("write")) {
			frm.add_custom_button(frm.doc.scheduled_at ? __("Schedule") : __("Send Now"), () =>
				frm.call("start").then(({ message }) => {
					frappe.show_alert(__("Message Send is {0}", [__(message)]));
					frm.reload_doc();
				})
			);
		}
		frm.add_custom_button(__("Count Recipients"), () =>
			frm.call("segment_size").then(({ message }) =>
				frappe.msgprint(__("{0} active members match these conditions", [message]))
			)
		);
		frm.add_custom_button(__("Message Log"), () =>
			frappe.set_route("List", "Message Log", { message_send: frm.doc.name })
		);
	},
});
