frappe.query_reports["Member Growth"] = {
	filters: loyalty_app.insight_filters({ store_label: __("Home Store") }),
};
