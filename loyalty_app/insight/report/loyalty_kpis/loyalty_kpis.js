frappe.query_reports["Loyalty KPIs"] = {
	filters: loyalty_app.insight_filters(),
};
