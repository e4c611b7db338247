frappe.query_reports["Member Growth"] = {
	filters: [
		{ fieldname: "store", label: __("Home Store"), fieldtype: "Link", options: "Warehouse" },
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date" },
	],
};
