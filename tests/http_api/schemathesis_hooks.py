"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.http_api.schemathesis_hooks, set by scripts/test).

- Every v1 operation gets a valid example built from the HTTP fixture, so the run reaches each
  operation's success path and not only its refusals.
- Every answer is written to LOYALTY_ST_LOG (one JSON line: operation, status, state check), so
  scripts/test can fail when an operation never got a 2xx or a state check failed.
- State check: after a 2xx that returns the member, a fresh GET of that member must show the same
  points balance (what the caller was told is what was stored).
"""

import json
import os
import random
import uuid

import requests
import schemathesis
from schemathesis import DataGenerationMethod

FIXTURE = json.load(open(os.environ["LOYALTY_HTTP_FIXTURE"]))
BASE_URL = os.environ["LOYALTY_HTTP_BASE_URL"]
LOG = os.environ["LOYALTY_ST_LOG"]
TOKEN = {"Authorization": f"token {FIXTURE['integration']['token']}"}
FUZZ = FIXTURE["fuzz"]
PREFIX = "/api/method/loyalty_app.api.v1."
# Success needs WeChat's own server (a login code it issued): tests/http_api/test_channels.py covers it.
NO_VALID_EXAMPLE = {"wechat_login"}


def key() -> str:
	return f"st-{uuid.uuid4().hex}"


def earned_reference() -> str:
	"""An earn made now, for the reverse example to reverse."""
	reference = key()
	requests.post(
		f"{BASE_URL}{PREFIX}earn",
		json={"member": FUZZ["member"], "order_id": reference, "amount": 5},
		headers=TOKEN,
		timeout=30,
	).raise_for_status()
	return reference


def valid_example(name: str) -> dict:
	member = FUZZ["member"]
	bodies = {
		"consent": lambda: {"member": member, "consent_type": "Marketing", "granted": True},
		"draw_lottery": lambda: {"member": member, "lottery": FUZZ["lottery"], "key": key()},
		"earn": lambda: {"member": member, "order_id": key(), "amount": 12.5},
		"enrol": lambda: {"mobile_no": f"+86139{random.randint(0, 99_999_999):08d}", "member_name": "Fuzz"},
		"event_check_in": lambda: {"member": member, "member_event": FUZZ["event"]},
		"flash_redeem": lambda: {"member": member, "flash_sale": FUZZ["flash_sale"], "key": key()},
		"record_activity": lambda: {
			"member": member,
			"community_group": FUZZ["group"],
			"activity_type": "Check-in",
		},
		"redeem": lambda: {"member": member, "points": 1, "key": key()},
		"redeem_reward": lambda: {"member": member, "reward": FUZZ["reward"], "key": key()},
		"reverse": lambda: {"transaction_type": "Earn", "reference": earned_reference()},
		"submit_feedback": lambda: {"member": member, "feedback_type": "Survey", "rating": 5},
		"verify_mobile": lambda: {"member": member},
		"member": lambda: {"member": member},
		"rewards": lambda: {"member": member},
		"validate_coupon": lambda: {"code": FUZZ["coupon"], "member": member},
	}
	return bodies[name]()


def operation_name(path: str) -> str:
	return path[len(PREFIX) :]


@schemathesis.hook
def before_add_examples(context, examples) -> None:
	operation = context.operation
	if operation_name(operation.path) in NO_VALID_EXAMPLE:
		return
	values = valid_example(operation_name(operation.path))
	if operation.method.upper() == "GET":
		case = operation.make_case(query=values)
	else:
		case = operation.make_case(body=values, media_type="application/json")
	case.data_generation_method = DataGenerationMethod.positive
	examples.append(case)


@schemathesis.hook
def after_call(context, case, response) -> None:
	state = None
	if 200 <= response.status_code < 300:
		told = (response.json().get("message") or {}) if response.content else {}
		member = told.get("member") if isinstance(told, dict) else None
		if isinstance(member, dict) and "points_balance" in member:
			stored = requests.get(
				f"{BASE_URL}{PREFIX}member", params={"member": member["member"]}, headers=TOKEN, timeout=30
			).json()["message"]["points_balance"]
			state = (
				"ok"
				if stored == member["points_balance"]
				else f"told {member['points_balance']}, stored {stored}"
			)
	with open(LOG, "a") as f:
		f.write(
			json.dumps(
				{
					"operation": operation_name(case.operation.path),
					"status": response.status_code,
					"state": state,
				}
			)
			+ "\n"
		)
