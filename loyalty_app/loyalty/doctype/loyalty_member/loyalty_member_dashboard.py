from frappe import _


def get_data():
	return {
		"fieldname": "member",
		"transactions": [
			{
				"label": _("Points"),
				"items": ["Points Ledger Entry", "Points Adjustment", "External Transaction"],
			},
			{"label": _("Rewards"), "items": ["Reward Redemption"]},
			{"label": _("Community"), "items": ["Community Membership", "Community Activity"]},
			{"label": _("History"), "items": ["Member Tier Change", "Lifecycle Stage Change"]},
			{"label": _("Channels"), "items": ["Member Identity", "Guide Assignment"]},
		],
	}
