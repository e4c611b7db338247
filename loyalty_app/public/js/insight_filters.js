// The filters every Loyalty insight report offers: company, store (warehouse) and a date range.
frappe.provide("loyalty_app");

loyalty_app.insight_filters = function ({ store_label = __("Store"), from_date, to_date } = {}) {
	return [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
		},
		{
			fieldname: "store",
			label: store_label,
			fieldtype: "Link",
			options: "Warehouse",
			get_query: () => {
				const company = frappe.query_report.get_filter_value("company");
				return { filters: { is_group: 0, ...(company ? { company } : {}) } };
			},
		},
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", default: from_date },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", default: to_date },
	];
};
