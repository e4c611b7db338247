"""API v1 enrolment on an ERPNext that already has customers: it links the Customer with the mobile
number and asks the caller to choose when several have it, never creating a second Customer."""

from .conftest import BASE_URL, Client


def linked_customer(manager: Client, member: str) -> str:
	response = manager.session.get(f"{BASE_URL}/api/resource/Loyalty Member/{member}", timeout=30)
	assert response.status_code == 200, response.text
	return response.json()["data"]["customer"]


def test_enrol_links_the_existing_customer(api, data):
	existing = data["existing"]
	created = api.post("enrol", mobile_no=existing["single_mobile"], member_name="Regular")
	assert created.status_code == 201, created.text
	manager = Client(data["manager"]["token"])
	assert linked_customer(manager, created.json()["message"]["member"]) == existing["single_customer"]


def test_several_customers_with_the_mobile_are_a_409_until_the_caller_chooses(api, data):
	existing = data["existing"]
	first, second = existing["shared_customers"]
	unsure = api.post("enrol", mobile_no=existing["shared_mobile"], member_name="Twin")
	assert unsure.status_code == 409
	error = unsure.json()["error"]
	assert error["code"] == "customer_choice_needed"
	assert first in error["message"] and second in error["message"]
	assert "Traceback" not in unsure.text

	wrong = api.post("enrol", mobile_no=existing["shared_mobile"], member_name="Twin", customer="Nobody")
	assert (wrong.status_code, wrong.json()["error"]["code"]) == (409, "customer_choice_needed")
	assert api.get("member", mobile_no=existing["shared_mobile"]).status_code == 404

	chosen = api.post("enrol", mobile_no=existing["shared_mobile"], member_name="Twin", customer=second)
	assert chosen.status_code == 201, chosen.text
	manager = Client(data["manager"]["token"])
	assert linked_customer(manager, chosen.json()["message"]["member"]) == second
