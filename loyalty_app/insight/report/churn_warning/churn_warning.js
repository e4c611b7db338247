frappe.query_reports["Churn Warning"] = {
	filters: [
		{ fieldname: "date", label: __("Date"), fieldtype: "Date", default: frappe.datetime.get_today(), reqd: 1 },
		{ fieldname: "include_lapsed", label: __("Include Lapsed"), fieldtype: "Check" },
	],
};
