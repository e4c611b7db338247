"""The OpenAPI 3.0 document of API v1, made from the endpoints' request models.

`bench --site <site> execute loyalty_app.api.openapi.write` rewrites the checked-in api/openapi.json; a
test fails when the two differ.
"""

import json
from pathlib import Path

from loyalty_app import __version__
from loyalty_app.api.v1 import ENDPOINTS

CHECKED_IN = Path(__file__).with_name("openapi.json")

ERROR = {
	"type": "object",
	"required": ["error"],
	"properties": {
		"error": {
			"type": "object",
			"required": ["code", "message"],
			"properties": {"code": {"type": "string"}, "message": {"type": "string"}},
		}
	},
}

COUPON = {
	"type": "object",
	"required": ["code", "campaign", "valid_upto"],
	"properties": {
		"code": {"type": "string"},
		"campaign": {"type": "string", "nullable": True},
		"valid_upto": {"type": "string", "format": "date", "nullable": True},
	},
}

MEMBER = {
	"type": "object",
	"required": [
		"member",
		"member_name",
		"mobile_no",
		"status",
		"tier",
		"points_balance",
		"redeemable_points",
		"coupons",
	],
	"properties": {
		"member": {"type": "string"},
		"member_name": {"type": "string"},
		"mobile_no": {"type": "string"},
		"status": {"type": "string", "enum": ["Active", "Frozen", "Closed"]},
		"status_reason": {"type": "string", "nullable": True},
		"merged_into": {
			"type": "string",
			"nullable": True,
			"description": "For a member merged into another (status Closed): the member to use now.",
		},
		"mobile_verified": {"type": "boolean"},
		"referral_code": {"type": "string", "nullable": True},
		"tier": {"type": "string", "nullable": True},
		"tier_valid_until": {"type": "string", "format": "date", "nullable": True},
		"next_tier": {"type": "string", "nullable": True},
		"to_next_tier": {"type": "number", "nullable": True},
		"points_balance": {"type": "integer", "minimum": 0},
		"redeemable_points": {"type": "integer", "minimum": 0},
		"points_debt": {"type": "integer", "minimum": 0},
		"points_expiring_soon": {"type": "integer", "minimum": 0},
		"next_points_expiry": {"type": "string", "format": "date", "nullable": True},
		"lifetime_earned": {"type": "integer"},
		"coupons": {"type": "array", "items": {"$ref": "#/components/schemas/Coupon"}},
	},
}

MEMBER_REF = {"$ref": "#/components/schemas/MemberSummary"}

REDEMPTION = {
	"type": "object",
	"required": ["redemption", "reward", "quantity", "points", "member"],
	"properties": {
		"redemption": {"type": "string"},
		"reward": {"type": "string"},
		"quantity": {"type": "integer"},
		"points": {"type": "integer"},
		"coupon_code": {"type": "string", "nullable": True},
		"member": MEMBER_REF,
	},
}

# Endpoints that answer 201 when they created what they were sent (a member, a feedback).
CREATING = {"enrol", "wechat_login", "submit_feedback"}

RESULTS = {
	"enrol": MEMBER_REF,
	"member": MEMBER_REF,
	"wechat_login": MEMBER_REF,
	"earn": {"$ref": "#/components/schemas/TransactionResult"},
	"redeem": {"$ref": "#/components/schemas/TransactionResult"},
	"reverse": {"$ref": "#/components/schemas/TransactionResult"},
	"verify_mobile": MEMBER_REF,
	"consent": MEMBER_REF,
	"rewards": {
		"type": "array",
		"items": {
			"type": "object",
			"required": ["reward", "reward_type", "points_cost", "can_redeem"],
			"properties": {
				"reward": {"type": "string"},
				"reward_type": {"type": "string"},
				"points_cost": {"type": "integer"},
				"cash_amount": {"type": "number"},
				"quantity_left": {"type": "integer", "nullable": True},
				"tiers": {"type": "array", "items": {"type": "string"}},
				"can_redeem": {"type": "boolean", "nullable": True},
				"reason": {
					"type": "string",
					"nullable": True,
					"description": "Why the member cannot redeem it (the redemption refuses for the same "
					"reason): reward_inactive, outside_validity, member_not_active, not_in_segment, "
					"not_in_tier, not_in_group, none_left, member_limit_reached, out_of_stock, "
					"not_enough_points",
				},
				"reason_message": {"type": "string", "nullable": True},
			},
		},
	},
	"redeem_reward": REDEMPTION,
	"validate_coupon": {
		"type": "object",
		"required": ["code", "valid", "reason"],
		"properties": {
			"code": {"type": "string"},
			"valid": {"type": "boolean"},
			"reason": {"type": "string", "nullable": True},
			"campaign": {"type": "string", "nullable": True},
			"valid_upto": {"type": "string", "format": "date", "nullable": True},
		},
	},
	"record_activity": {
		"type": "object",
		"required": ["activity", "points_awarded", "member"],
		"properties": {
			"activity": {"type": "string"},
			"points_awarded": {"type": "integer"},
			"member": MEMBER_REF,
		},
	},
	"draw_lottery": {
		"type": "object",
		"required": [
			"draw",
			"lottery",
			"won",
			"points_spent",
			"points_won",
			"seed",
			"roll",
			"total_weight",
			"member",
		],
		"properties": {
			"draw": {"type": "string"},
			"lottery": {"type": "string"},
			"won": {"type": "boolean"},
			"prize": {"type": "string", "nullable": True},
			"prize_type": {"type": "string", "nullable": True},
			"points_spent": {"type": "integer"},
			"points_won": {"type": "integer"},
			"coupon_code": {"type": "string", "nullable": True},
			"reward_redemption": {"type": "string", "nullable": True},
			"seed": {"type": "string"},
			"roll": {"type": "integer"},
			"total_weight": {"type": "integer"},
			"member": MEMBER_REF,
		},
	},
	"flash_redeem": REDEMPTION,
	"event_check_in": {
		"type": "object",
		"required": ["registration", "member_event", "points_awarded", "already_checked_in", "member"],
		"properties": {
			"registration": {"type": "string"},
			"member_event": {"type": "string"},
			"points_awarded": {"type": "integer"},
			"already_checked_in": {"type": "boolean"},
			"member": MEMBER_REF,
		},
	},
	"submit_feedback": {
		"type": "object",
		"required": ["name", "feedback_type", "points_awarded", "member"],
		"properties": {
			"name": {"type": "string"},
			"feedback_type": {"type": "string", "enum": ["Survey", "Complaint"]},
			"rating": {"type": "integer", "nullable": True},
			"status": {"type": "string", "nullable": True},
			"points_awarded": {"type": "integer"},
			"member": MEMBER_REF,
		},
	},
}

TRANSACTION = {
	"type": "object",
	"required": ["transaction", "transaction_type", "reference", "points", "status", "member"],
	"properties": {
		"transaction": {"type": "string"},
		"transaction_type": {"type": "string", "enum": ["Earn", "Redeem"]},
		"reference": {"type": "string"},
		"points": {"type": "integer"},
		"amount": {"type": "number"},
		"status": {"type": "string", "enum": ["Posted", "Reversed"]},
		"held_for_approval": {"type": "boolean"},
		"member": MEMBER_REF,
	},
}


def openapi_30(schema):
	"""Pydantic writes JSON Schema 2020-12; OpenAPI 3.0 says nullable instead of a null alternative."""
	if isinstance(schema, list):
		return [openapi_30(item) for item in schema]
	if not isinstance(schema, dict):
		return schema
	schema = {key: openapi_30(value) for key, value in schema.items() if key != "title"}
	alternatives = schema.get("anyOf")
	if alternatives and {"type": "null"} in alternatives:
		rest = [alt for alt in alternatives if alt != {"type": "null"}]
		schema.pop("anyOf")
		schema.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
		schema["nullable"] = True
	return schema


def document() -> dict:
	schemas = {"Error": ERROR, "Coupon": COUPON, "MemberSummary": MEMBER, "TransactionResult": TRANSACTION}
	paths = {}
	for name, (method, model, summary) in sorted(ENDPOINTS.items()):
		schema = openapi_30(model.model_json_schema(ref_template="#/components/schemas/{model}"))
		schemas.update(schema.pop("$defs", {}))
		success = {
			"description": "OK",
			"content": {
				"application/json": {
					"schema": {
						"type": "object",
						"required": ["message"],
						"properties": {"message": RESULTS[name]},
					}
				}
			},
		}
		operation = {
			"operationId": name,
			"summary": summary,
			"security": [{"token": []}],
			"responses": {
				"200": success,
				**({"201": {**success, "description": "Created"}} if name in CREATING else {}),
				"4XX": {
					"description": "Refused: the error's code says why; nothing was changed",
					"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
				},
			},
		}
		if method == "GET":
			operation["parameters"] = [
				{
					"name": field,
					"in": "query",
					"required": field in schema.get("required", []),
					"schema": definition,
				}
				for field, definition in schema["properties"].items()
			]
		else:
			schemas[model.__name__] = schema
			operation["requestBody"] = {
				"required": True,
				"content": {
					"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
				},
			}
		paths[f"/api/method/loyalty_app.api.v1.{name}"] = {method.lower(): operation}
	return {
		"openapi": "3.0.3",
		"info": {
			"title": "loyalty_app API",
			"version": f"v1 ({__version__})",
			"description": "Membership and loyalty for ERPNext. Authenticate with `Authorization: token <api_key>:<api_secret>` "
			"for a user with the Loyalty Integration role.",
		},
		"paths": paths,
		"components": {
			"schemas": dict(sorted(schemas.items())),
			"securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization"}},
		},
	}


def write() -> None:
	CHECKED_IN.write_text(json.dumps(document(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
