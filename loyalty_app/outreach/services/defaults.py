"""Message templates shipped with the app (zh and en), created at install and migrate when missing;
a retailer's edits are never overwritten."""

import frappe

GREETING = {"en": "Dear {{ member.member_name }},", "zh": "亲爱的 {{ member.member_name }}："}

# name: (purpose, marketing, automatic, {language: (subject, body)})
DEFAULT_TEMPLATES: dict[str, tuple[str, bool, bool, dict[str, tuple[str, str]]]] = {
	"Welcome": (
		"Welcome",
		False,
		True,
		{
			"en": (
				"Welcome to our membership",
				"Welcome! Your member code is {{ member.referral_code }}. You earn points on every purchase.",
			),
			"zh": (
				"欢迎加入会员",
				"欢迎加入！您的会员推荐码是 {{ member.referral_code }}，每次消费都可以累积积分。",
			),
		},
	),
	"Birthday": (
		"Birthday",
		True,
		True,
		{
			"en": (
				"Happy birthday!",
				"Happy birthday! A little gift is waiting for you in store this month.",
			),
			"zh": ("生日快乐！", "祝您生日快乐！本月到店即可领取生日礼。"),
		},
	),
	"Spring Festival": (
		"Holiday",
		True,
		False,
		{
			"en": (
				"Happy Spring Festival",
				"Happy Chinese New Year! Visit us during the festival for member offers.",
			),
			"zh": ("新春快乐", "新春快乐！春节期间到店享受会员专属优惠。"),
		},
	),
	"Mid-Autumn Festival": (
		"Holiday",
		True,
		False,
		{
			"en": (
				"Happy Mid-Autumn Festival",
				"Happy Mid-Autumn Festival! Mooncake offers for members are in store now.",
			),
			"zh": ("中秋快乐", "中秋快乐！会员专享月饼优惠现已上架。"),
		},
	),
	"Points Earned": (
		"Points earned",
		False,
		False,
		{
			"en": (
				"You earned {{ doc.points }} points",
				"You earned {{ doc.points }} points. Your balance is {{ member.points_balance }} points.",
			),
			"zh": (
				"您获得了 {{ doc.points }} 积分",
				"您获得了 {{ doc.points }} 积分，当前积分余额 {{ member.points_balance }}。",
			),
		},
	),
	"Points Expiring": (
		"Points expiring",
		False,
		True,
		{
			"en": (
				"Your points expire on {{ frappe.format_date(member.next_points_expiry) }}",
				"{{ member.points_expiring_soon }} of your {{ member.points_balance }} points expire on {{ frappe.format_date(member.next_points_expiry) }}. Use them before then.",
			),
			"zh": (
				"您的积分将于 {{ member.next_points_expiry }} 到期",
				"您有 {{ member.points_expiring_soon }} 积分（共 {{ member.points_balance }} 积分）将于 {{ member.next_points_expiry }} 到期，请尽快使用。",
			),
		},
	),
	"Tier Up": (
		"Tier up",
		False,
		True,
		{
			"en": ("You are now {{ doc.to_tier }}", "Congratulations! You have reached {{ doc.to_tier }}."),
			"zh": ("恭喜升级为{{ doc.to_tier }}", "恭喜！您已升级为{{ doc.to_tier }}会员。"),
		},
	),
	"Tier Down": (
		"Tier down",
		False,
		True,
		{
			"en": (
				"Your membership tier is now {{ doc.to_tier or 'the base level' }}",
				"Your tier changed from {{ doc.from_tier }} to {{ doc.to_tier or 'the base level' }}. Shop with us to move up again.",
			),
			"zh": (
				"您的会员等级已调整",
				"您的会员等级已由{{ doc.from_tier }}调整为{{ doc.to_tier or '基础会员' }}，继续消费即可再次升级。",
			),
		},
	),
	"Dormant Reminder": (
		"Dormant reminder",
		True,
		False,
		{
			"en": (
				"We miss you",
				"We have not seen you for a while. You still have {{ member.points_balance }} points to spend.",
			),
			"zh": ("好久不见", "好久不见！您还有 {{ member.points_balance }} 积分可以使用。"),
		},
	),
	"Win-back Offer": (
		"Win-back offer",
		True,
		True,
		{
			"en": (
				"A welcome-back offer for you",
				"Come back and save: use code {{ coupon_code }} on your next purchase.",
			),
			"zh": ("专属回归优惠", "欢迎回来！下次消费使用优惠码 {{ coupon_code }} 即可享受优惠。"),
		},
	),
	"Reward Ready for Pickup": (
		"Reward ready for pickup",
		False,
		True,
		{
			"en": ("Your reward is ready", "Your reward {{ doc.reward }} is ready for pickup in store."),
			"zh": ("您的礼品已可领取", "您兑换的礼品 {{ doc.reward }} 已备好，请到店领取。"),
		},
	),
	"Event Invitation": (
		"Event invitation",
		True,
		False,
		{
			"en": (
				"You are invited: {{ doc.event_name }}",
				"Join us for {{ doc.event_name }} on {{ frappe.format_date(doc.starts_on) }}.",
			),
			"zh": (
				"诚邀参加：{{ doc.event_name }}",
				"诚邀您于 {{ doc.starts_on }} 参加{{ doc.event_name }}。",
			),
		},
	),
}


def ensure_default_templates() -> None:
	for name, (purpose, marketing, automatic, texts) in DEFAULT_TEMPLATES.items():
		if frappe.db.exists("Message Template", name):
			continue
		frappe.get_doc(
			{
				"doctype": "Message Template",
				"template_name": name,
				"purpose": purpose,
				"channel": "Email",
				"enabled": 1,
				"automatic": int(automatic),
				"is_marketing": int(marketing),
				"texts": [
					{
						"language": language,
						"subject": subject,
						"body": f"<p>{GREETING[language]}</p>\n<p>{body}</p>",
					}
					for language, (subject, body) in texts.items()
				],
			}
		).insert(ignore_permissions=True)
