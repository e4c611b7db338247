"""Channels over HTTP: mini-program login against a local fake WeChat, and the member code shown on the
portal found once by the till."""

import random
import secrets

import pytest
import requests

from loyalty_app.tests.fake_wechat import FakeWeChat

from .conftest import BASE_URL, Client
from .test_portal_and_languages import logged_in

APP_ID = "wx_lp_http_app"
SETTINGS = f"{BASE_URL}/api/resource/Channel Settings/Channel Settings"


@pytest.fixture
def wechat(data):
	secret = secrets.token_hex(16)
	fake = FakeWeChat(APP_ID, secret)
	manager = Client(data["manager"]["token"]).session
	configured = {"wechat_app_id": APP_ID, "wechat_app_secret": secret, "wechat_api_base_url": fake.base_url}
	assert manager.put(SETTINGS, json=configured, timeout=30).status_code == 200
	yield fake
	manager.put(SETTINGS, json={"wechat_api_base_url": "https://api.weixin.qq.com"}, timeout=30)
	fake.stop()


def test_a_mini_program_login_enrols_then_finds_the_same_member(api, wechat):
	openid, mobile = f"o{secrets.token_hex(12)}", f"+86136{random.randint(0, 99_999_999):08d}"
	first = api.post(
		"wechat_login", code=wechat.issue_code(openid), mobile_no=mobile, member_name="小程序会员"
	)
	assert first.status_code == 201, first.text
	again = api.post("wechat_login", code=wechat.issue_code(openid))
	assert again.status_code == 200, again.text
	assert again.json()["message"]["member"] == first.json()["message"]["member"]
	assert not any(key in first.text + again.text for key in wechat.session_keys)
	found = api.get("member", platform="WeChat mini-program", app_id=APP_ID, external_id=openid)
	assert found.json()["message"]["member"] == first.json()["message"]["member"]


def test_wechat_errors_are_4xx_in_the_api_format(api, wechat):
	invalid = api.post("wechat_login", code="not-a-code")
	assert invalid.status_code == 400
	assert invalid.json()["error"]["code"] == "wechat_login_failed"
	assert "40029" in invalid.json()["error"]["message"]
	busy = api.post("wechat_login", code=wechat.failing_code(45011))
	assert (busy.status_code, busy.json()["error"]["code"]) == (429, "wechat_busy")


def test_the_till_finds_a_member_by_the_code_on_their_phone_once(data):
	phone = logged_in(data["member_b"])
	shown = phone.get(f"{BASE_URL}/api/method/loyalty_app.channels.api.my_member_code", timeout=30)
	assert shown.status_code == 200, shown.text
	code = shown.json()["message"]["code"]
	till = Client(data["clerk"]["token"]).session
	lookup = f"{BASE_URL}/api/method/loyalty_app.api.pos.lookup"
	found = till.get(lookup, params={"query": code}, timeout=30)
	assert found.json()["message"]["member"] == data["member_b"]["member"]
	replayed = till.get(lookup, params={"query": code}, timeout=30)
	assert replayed.status_code == 417
	assert "already used" in replayed.text
	guest = requests.get(f"{BASE_URL}/api/method/loyalty_app.channels.api.my_member_code", timeout=30)
	assert guest.status_code == 403
