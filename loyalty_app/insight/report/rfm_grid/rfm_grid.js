frappe.query_reports["RFM Grid"] = {
	filters: loyalty_app.insight_filters({ store_label: __("Home Store") }),
};
