frappe.query_reports["Points Liability Reconciliation"] = {
	filters: [{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company" }],
};
