// An import batch: add rows through Data Import (Loyalty Import Row, with this batch in the Import Batch
// column), check them, import the valid ones, or roll the whole batch back before its points are spent.
frappe.ui.form.on("Loyalty Import Batch", {
	refresh(frm) {
		if (frm.is_new()) return;
		const run = (method, message) =>
			frm.call(method).then(() => {
				frappe.show_alert({ message, indicator: "green" });
				frm.reload_doc();
			});
		frm.add_custom_button(__("Show Rows"), () =>
			frappe.set_route("List", "Loyalty Import Row", { batch: frm.doc.name })
		);
		if (frm.doc.status === "Rolled Back") return;
		frm.add_custom_button(__("Add Rows with Data Import"), () =>
			frappe.new_doc("Data Import", {
				reference_doctype: "Loyalty Import Row",
				import_type: "Insert New Records",
			})
		);
		frm.add_custom_button(__("Check Rows"), () => run("check_rows", __("Rows checked")));
		frm.add_custom_button(__("Import Valid Rows"), () =>
			frappe.confirm(__("Import the valid rows of this batch?"), () =>
				run("import_rows", __("Import started"))
			)
		);
		if (frm.doc.status === "Imported") {
			frm.add_custom_button(__("Roll Back"), () =>
				frappe.confirm(
					__("Reverse every point of this batch and close the members it created?"),
					() => run("roll_back", __("Batch rolled back"))
				)
			);
		}
	},
});
