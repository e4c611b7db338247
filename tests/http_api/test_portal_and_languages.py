"""The member portal shows a member only their own data; desk and portal speak Chinese to zh users."""

import json

import requests

from .conftest import BASE_URL


def logged_in(account: dict) -> requests.Session:
	session = requests.Session()
	response = session.post(
		f"{BASE_URL}/api/method/login", json={"usr": account["user"], "pwd": account["password"]}, timeout=30
	)
	assert response.status_code == 200, response.text
	return session


def test_a_member_sees_their_own_membership_and_not_another_members(data):
	page = logged_in(data["member_b"]).get(f"{BASE_URL}/my-membership", timeout=30)
	assert page.status_code == 200
	assert f'data-member="{data["member_b"]["member"]}"' in page.text
	assert data["member_a"]["member"] not in page.text
	assert data["rich_mobile"] not in page.text


def test_member_data_is_not_reachable_through_the_resource_api_from_the_portal(data):
	session = logged_in(data["member_b"])
	for doctype in ("Loyalty Member", "Points Ledger Entry"):
		response = session.get(f"{BASE_URL}/api/resource/{doctype}", timeout=30)
		assert response.status_code == 403, doctype


def test_a_member_downloads_their_own_data_and_nobody_elses(data):
	session = logged_in(data["member_b"])
	own = session.get(f"{BASE_URL}/api/method/loyalty_app.trust.api.download_my_data", timeout=30)
	assert own.status_code == 200
	assert "attachment" in own.headers.get("Content-Disposition", "")
	export = json.loads(own.content)
	assert export["member"]["name"] == data["member_b"]["member"]
	assert data["member_a"]["member"] not in own.text
	other = session.get(
		f"{BASE_URL}/api/method/loyalty_app.trust.api.download_member_data",
		params={"member": data["member_a"]["member"]},
		timeout=30,
	)
	assert other.status_code == 403
	assert "points_balance" not in other.text
	guest = requests.get(f"{BASE_URL}/api/method/loyalty_app.trust.api.download_my_data", timeout=30)
	assert guest.status_code == 403


def test_a_guest_is_sent_to_log_in():
	response = requests.get(f"{BASE_URL}/my-membership", allow_redirects=False, timeout=30)
	assert response.status_code in (301, 302)
	assert "/login" in response.headers["Location"]


def test_portal_redeems_only_for_the_logged_in_member(data):
	session = logged_in(data["member_a"])
	before = session.get(f"{BASE_URL}/my-membership", timeout=30).text
	response = session.post(
		f"{BASE_URL}/api/method/loyalty_app.api.portal.redeem_reward",
		json={"reward": data["reward"]},
		timeout=30,
	)
	assert response.status_code == 200, response.text
	assert response.json()["message"]["points"] == 100
	assert (
		response.json()["message"]["coupon_code"] in session.get(f"{BASE_URL}/my-membership", timeout=30).text
	)
	assert before != ""
	guest = requests.post(
		f"{BASE_URL}/api/method/loyalty_app.api.portal.redeem_reward",
		json={"reward": data["reward"]},
		timeout=30,
	)
	assert guest.status_code == 403


def test_portal_and_desk_render_in_chinese_for_zh_users(data):
	portal = logged_in(data["member_a"]).get(f"{BASE_URL}/my-membership", timeout=30)
	assert "我的会员" in portal.text
	assert "积分余额" in portal.text
	desk = logged_in(data["desk_zh"]).get(f"{BASE_URL}/app/loyalty-member", timeout=30)
	assert desk.status_code == 200
	# the desk's boot carries the translations it renders with, as escaped JSON
	for source, translation in (("Points Ledger Entry", "积分流水"), ("Loyalty Member", "会员")):
		assert f'"{source}": {json.dumps(translation)}' in desk.text, source
