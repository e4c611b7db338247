frappe.query_reports["Cohort Retention"] = {
	filters: loyalty_app.insight_filters({ store_label: __("Home Store") }),
};
