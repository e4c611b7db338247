frappe.query_reports["Member Value"] = {
	filters: [
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: [
				{ value: "Channel", label: __("Channel") },
				{ value: "Tier", label: __("Tier") },
			],
			default: "Channel",
			reqd: 1,
		},
		{ fieldname: "from_date", label: __("Joined From"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("Joined To"), fieldtype: "Date" },
	],
};
