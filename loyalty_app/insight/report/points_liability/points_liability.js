frappe.query_reports["Points Liability"] = {
	filters: loyalty_app.insight_filters({
		store_label: __("Home Store"),
		from_date: frappe.datetime.year_start(),
		to_date: frappe.datetime.get_today(),
	}),
};
