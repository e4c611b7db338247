"""API v1 over HTTP against the served test site: auth, idempotency, refusals, and the documents."""

import json
import random
from pathlib import Path

import requests

from .conftest import BASE_URL, Client


def error_code(response: requests.Response) -> str:
	return response.json()["error"]["code"]


def balance(api: Client, member: str) -> int:
	return api.get("member", member=member).json()["message"]["points_balance"]


def new_mobile() -> str:
	return f"+86137{random.randint(0, 99_999_999):08d}"


def test_calls_without_a_token_or_with_a_wrong_one_are_refused(data):
	anonymous = Client(None).get("member", member=data["rich"])
	assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
	wrong = Client(data["integration"]["token"].split(":")[0] + ":wrong").get("member", member=data["rich"])
	assert (wrong.status_code, error_code(wrong)) == (401, "not_authenticated")
	assert "points_balance" not in wrong.text and "Traceback" not in wrong.text


def test_a_user_without_the_integration_role_gets_403(data):
	response = Client(data["clerk"]["token"]).get("member", member=data["rich"])
	assert response.status_code == 403
	assert error_code(response) == "forbidden"


def test_writes_need_post(api, data):
	response = api.get("earn", member=data["rich"], order_id="x", amount=1)
	assert (response.status_code, error_code(response)) == (405, "method_not_allowed")


def test_enrol_creates_once_then_replays(api):
	mobile = new_mobile()
	created = api.post("enrol", mobile_no=mobile, member_name="Zhou Yu", channel="Mini-program")
	assert created.status_code == 201
	member = created.json()["message"]
	assert (member["mobile_no"], member["points_balance"], member["status"]) == (mobile, 0, "Active")
	again = api.post("enrol", mobile_no=mobile.replace("+86", ""), member_name="Zhou Yu")
	assert again.status_code == 200
	assert again.json()["message"]["member"] == member["member"]


def test_bad_enrolment_payloads_are_400_with_a_code(api):
	assert error_code(api.post("enrol", mobile_no="12345", member_name="X")) == "invalid_mobile"
	extra = api.post("enrol", mobile_no=new_mobile(), member_name="X", points_balance=10**6)
	assert extra.status_code == 400
	assert error_code(extra) == "invalid_request"
	assert api.post("enrol", mobile_no=new_mobile()).status_code == 400


def test_member_lookup_by_mobile_and_unknown_member(api, data):
	found = api.get("member", mobile_no=data["rich_mobile"])
	assert found.status_code == 200
	assert found.json()["message"]["member"] == data["rich"]
	assert any(c["code"] == data["rich_coupon"] for c in found.json()["message"]["coupons"])
	missing = api.get("member", member="LM-NOPE")
	assert (missing.status_code, error_code(missing)) == (404, "member_not_found")


def test_earn_for_an_external_order_is_idempotent_by_order_id(api, data, key):
	before = balance(api, data["poor"])
	first = api.post("earn", member=data["poor"], order_id=key, amount="88.50", channel="Web shop")
	assert first.status_code == 200
	result = first.json()["message"]
	assert (result["points"], result["status"]) == (88, "Posted")
	replay = api.post("earn", member=data["poor"], order_id=key, amount="88.50", channel="Web shop")
	assert replay.json()["message"]["transaction"] == result["transaction"]
	assert balance(api, data["poor"]) == before + 88
	conflict = api.post("earn", member=data["poor"], order_id=key, amount="99", channel="Web shop")
	assert (conflict.status_code, error_code(conflict)) == (409, "idempotency_conflict")
	assert balance(api, data["poor"]) == before + 88


def test_bad_earn_payloads_change_nothing(api, data, key):
	before = balance(api, data["poor"])
	for body in (
		{"member": data["poor"], "order_id": key, "amount": "-5"},
		{"member": data["poor"], "order_id": key, "amount": "abc"},
		{"member": data["poor"], "order_id": "has spaces", "amount": 5},
		{"member": data["poor"], "order_id": key, "amount": 5, "channel": "Fax"},
	):
		response = api.post("earn", **body)
		assert response.status_code == 400, body
		assert error_code(response) == "invalid_request"
	assert balance(api, data["poor"]) == before


def test_redeem_refuses_more_than_the_balance_and_replays_by_key(api, data, key):
	member = api.post("enrol", mobile_no=new_mobile(), member_name="Spender").json()["message"]["member"]
	api.post("earn", member=member, order_id=f"{key}-o", amount=50)
	refused = api.post("redeem", member=member, points=51, key=key)
	assert (refused.status_code, error_code(refused)) == (409, "insufficient_points")
	assert balance(api, member) == 50
	spent = api.post("redeem", member=member, points=30, key=key)
	assert spent.status_code == 200
	assert (
		api.post("redeem", member=member, points=30, key=key).json()["message"]["transaction"]
		== (spent.json()["message"]["transaction"])
	)
	assert balance(api, member) == 20
	reversed_ = api.post("reverse", transaction_type="Redeem", reference=key)
	assert reversed_.json()["message"]["status"] == "Reversed"
	assert api.post("reverse", transaction_type="Redeem", reference=key).status_code == 200
	assert balance(api, member) == 50
	unknown = api.post("reverse", transaction_type="Earn", reference=f"{key}-none")
	assert (unknown.status_code, error_code(unknown)) == (404, "transaction_not_found")


def test_rewards_redeem_reward_and_coupon_validation(api, data, key):
	rewards = api.get("rewards", member=data["rich"]).json()["message"]
	ours = next(r for r in rewards if r["reward"] == data["reward"])
	assert ours["can_redeem"] is True
	redeemed = api.post("redeem_reward", member=data["rich"], reward=data["reward"], key=key)
	assert redeemed.status_code == 200
	code = redeemed.json()["message"]["coupon_code"]
	assert (
		api.post("redeem_reward", member=data["rich"], reward=data["reward"], key=key).json()["message"][
			"redemption"
		]
		== redeemed.json()["message"]["redemption"]
	)
	mine = api.get("validate_coupon", code=code, member=data["rich"]).json()["message"]
	assert (mine["valid"], mine["reason"]) == (True, None)
	theirs = api.get("validate_coupon", code=code, member=data["poor"]).json()["message"]
	assert theirs["valid"] is False
	newcomer = api.post("enrol", mobile_no=new_mobile(), member_name="Newcomer").json()["message"]["member"]
	poor = api.post("redeem_reward", member=newcomer, reward=data["reward"], key=f"{key}-poor")
	assert (poor.status_code, error_code(poor)) == (409, "insufficient_points")


def test_activity_needs_group_membership(api, data):
	response = api.post(
		"record_activity", member=data["rich"], community_group=data["group"], activity_type="Check-in"
	)
	assert (response.status_code, error_code(response)) == (409, "not_in_group")
	missing = api.post(
		"record_activity", member=data["rich"], community_group="nope", activity_type="Check-in"
	)
	assert missing.status_code == 404


def test_event_check_in_awards_points_once_and_keeps_to_capacity(api, data):
	before = balance(api, data["poor"])
	first = api.post("event_check_in", member=data["poor"], member_event=data["event"])
	assert first.status_code == 200
	assert (first.json()["message"]["points_awarded"], first.json()["message"]["already_checked_in"]) == (
		20,
		False,
	)
	again = api.post("event_check_in", member=data["poor"], member_event=data["event"])
	assert again.json()["message"]["already_checked_in"] is True
	assert balance(api, data["poor"]) == before + 20
	full = api.post("event_check_in", member=data["rich"], member_event=data["event"])
	assert (full.status_code, error_code(full)) == (409, "event_full")
	missing = api.post("event_check_in", member=data["poor"], member_event="no-such-event")
	assert (missing.status_code, error_code(missing)) == (404, "event_not_found")


def test_an_earn_blocked_by_a_risk_rule_changes_nothing_but_leaves_an_alert(api, data, key):
	before = balance(api, data["poor"])
	blocked = api.post("earn", member=data["poor"], order_id=key, amount="150000", channel="Web shop")
	assert (blocked.status_code, error_code(blocked)) == (409, "blocked_by_risk_rules")
	assert balance(api, data["poor"]) == before
	assert api.get("member", member=data["poor"]).json()["message"]["status"] == "Active"
	# the request was rolled back, but the alert was written again after the rollback for the manager
	manager = Client(data["manager"]["token"])
	alerts = manager.session.get(
		f"{BASE_URL}/api/resource/Risk Alert",
		params={
			"filters": json.dumps([["member", "=", data["poor"]], ["risk_rule", "=", data["velocity_rule"]]]),
			"fields": json.dumps(["status", "action_taken", "event"]),
		},
		timeout=30,
	)
	assert alerts.status_code == 200
	assert {"status": "Open", "action_taken": "Block", "event": "Earn"} in alerts.json()["data"]


def test_resource_api_reads_members_for_the_integration_user(api, data):
	response = api.session.get(
		f"{BASE_URL}/api/resource/Loyalty Member",
		params={"filters": json.dumps([["name", "=", data["rich"]]])},
		timeout=30,
	)
	assert response.status_code == 200
	assert response.json()["data"] == [{"name": data["rich"]}]
	assert (
		api.session.delete(f"{BASE_URL}/api/resource/Loyalty Member/{data['rich']}", timeout=30).status_code
		== 403
	)


def test_the_served_openapi_document_is_the_checked_in_one():
	served = requests.get(f"{BASE_URL}/api/method/loyalty_app.api.v1.openapi", timeout=30)
	assert served.status_code == 200
	checked_in = Path(__file__).resolve().parents[2] / "loyalty_app" / "api" / "openapi.json"
	assert served.json() == json.loads(checked_in.read_text())
