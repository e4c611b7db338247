frappe.query_reports["Churn Warning"] = {
	filters: [
		...loyalty_app.insight_filters({
			store_label: __("Home Store"),
			from_date: frappe.datetime.get_today(),
			to_date: frappe.datetime.get_today(),
		}),
		{ fieldname: "include_lapsed", label: __("Include Lapsed"), fieldtype: "Check" },
	],
};
