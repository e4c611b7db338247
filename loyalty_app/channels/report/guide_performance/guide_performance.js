frappe.query_reports["Guide Performance"] = {
	filters: loyalty_app.insight_filters({ store_label: __("Home Store") }),
};
