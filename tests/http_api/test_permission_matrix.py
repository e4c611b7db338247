"""The permission matrix (loyalty_app/trust/permissions/matrix.json) checked over HTTP for every role:
/api/resource GET, PUT, POST and DELETE, frappe.client, the print view, the v1 API and the member's own
data download. The in-process twin is loyalty_app/tests/test_permission_matrix.py."""

import json
import pathlib
import random

import pytest
import requests

from loyalty_app.trust.permissions import GUEST, MEMBER, load

from .conftest import BASE_URL
from .test_portal_and_languages import logged_in

MATRIX = load()
LOYALTY_MEMBER = "Loyalty Member"
TOKENS = {
	"Loyalty User": "clerk",
	"Loyalty Integration": "integration",
	"Loyalty Manager": "manager",
	"System Manager": "system_manager",
	"Shopping Guide": "guide",
}
# A Shopping Guide reads only the members they guide (tested with the channels module): the checks on
# one member below are for the other roles.
GUIDE = "Shopping Guide"
ONE_MEMBER_ROLES = [role for role in MATRIX["roles"] if role != GUIDE]
APP = pathlib.Path(__file__).resolve().parents[2] / "loyalty_app"
SINGLES = {
	doc["name"]
	for doc in (json.loads(path.read_text()) for path in APP.glob("*/doctype/*/*.json"))
	if doc.get("doctype") == "DocType" and doc.get("issingle")
}


@pytest.fixture(scope="module")
def sessions(data) -> dict[str, requests.Session]:
	found = {GUEST: requests.Session(), MEMBER: logged_in(data["member_b"])}
	for role, key in TOKENS.items():
		session = requests.Session()
		session.headers["Authorization"] = f"token {data[key]['token']}"
		found[role] = session
	return found


def resource(doctype: str, name: str | None = None) -> str:
	return f"{BASE_URL}/api/resource/{doctype}" + (f"/{name}" if name else "")


def method(path: str) -> str:
	return f"{BASE_URL}/api/method/{path}"


@pytest.mark.parametrize("role", MATRIX["roles"])
def test_each_role_reads_exactly_the_doctypes_of_the_matrix(sessions, role):
	wrong = []
	for doctype, row in MATRIX["doctypes"].items():
		url = resource(doctype, doctype) if doctype in SINGLES else resource(doctype)
		status = sessions[role].get(url, params={"limit_page_length": 1}, timeout=30).status_code
		if (status == 200) != ("r" in row[role]) or status not in (200, 403):
			wrong.append((doctype, status))
	assert wrong == []


@pytest.mark.parametrize("role", ONE_MEMBER_ROLES)
def test_each_role_sees_exactly_the_member_fields_of_the_matrix(sessions, data, role):
	response = sessions[role].get(resource(LOYALTY_MEMBER, data["rich"]), timeout=30)
	if "r" not in MATRIX["doctypes"][LOYALTY_MEMBER][role]:
		assert response.status_code == 403
		assert data["rich_mobile"] not in response.text
		return
	assert response.status_code == 200
	member = response.json()["data"]
	for fieldname in ("mobile_no", "mobile_masked", "user", "customer", "status"):
		assert (member.get(fieldname) is not None) == (
			role in MATRIX["fields"][LOYALTY_MEMBER][fieldname]["read"]
		), fieldname
	if role not in MATRIX["fields"][LOYALTY_MEMBER]["mobile_no"]["read"]:
		assert data["rich_mobile"] not in response.text
		listed = sessions[role].post(
			method("frappe.desk.reportview.get"),
			json={"doctype": LOYALTY_MEMBER, "fields": ["name", "mobile_no", "email", "user"]},
			timeout=30,
		)
		assert listed.status_code == 200 and data["rich"] in listed.text
		searched = sessions[role].post(
			method("frappe.desk.search.search_link"),
			json={"doctype": LOYALTY_MEMBER, "txt": data["rich_mobile"]},
			timeout=30,
		)
		assert searched.status_code == 200 and data["rich"] in searched.text
		for answer in (listed, searched):
			assert data["rich_mobile"] not in answer.text
			assert data["member_a"]["user"] not in answer.text
		printed = sessions[role].get(
			f"{BASE_URL}/printview", params={"doctype": LOYALTY_MEMBER, "name": data["rich"]}, timeout=30
		)
		assert printed.status_code == 200
		assert data["rich_mobile"] not in printed.text


@pytest.mark.parametrize("role", ONE_MEMBER_ROLES)
def test_only_the_roles_of_the_matrix_change_a_member_and_answers_hide_what_they_may_not_read(
	sessions, data, role
):
	may_write = "w" in MATRIX["doctypes"][LOYALTY_MEMBER][role]
	session = sessions[role]
	updated = session.put(resource(LOYALTY_MEMBER, data["rich"]), json={}, timeout=30)
	assert updated.status_code == (200 if may_write else 403)
	if role not in MATRIX["fields"][LOYALTY_MEMBER]["mobile_no"]["read"]:
		assert data["rich_mobile"] not in updated.text
	taken = session.put(
		resource(LOYALTY_MEMBER, data["rich"]), json={"user": "clerk-api@loyalty.test"}, timeout=30
	)
	set_value = session.post(
		method("frappe.client.set_value"),
		json={"doctype": LOYALTY_MEMBER, "name": data["rich"], "fieldname": "marketing_consent", "value": 0},
		timeout=30,
	)
	assert taken.status_code == (200 if role in MATRIX["fields"][LOYALTY_MEMBER]["user"]["write"] else 403)
	assert set_value.status_code == 403, set_value.text  # consent comes from the member, never from a save
	if taken.status_code == 200:
		restored = session.put(
			resource(LOYALTY_MEMBER, data["rich"]), json={"user": data["member_a"]["user"]}, timeout=30
		)
		assert restored.status_code == 200
	manager = (
		sessions["Loyalty Manager"].get(resource(LOYALTY_MEMBER, data["rich"]), timeout=30).json()["data"]
	)
	assert (manager["user"], manager["marketing_consent"]) == (data["member_a"]["user"], 1)


@pytest.mark.parametrize("role", ONE_MEMBER_ROLES)
def test_only_the_roles_of_the_matrix_enrol_and_delete_members(sessions, data, role):
	letters = MATRIX["doctypes"][LOYALTY_MEMBER][role]
	session = sessions[role]
	mobile = f"+86137{random.randint(0, 99_999_999):08d}"
	created = session.post(
		resource(LOYALTY_MEMBER),
		json={"member_name": f"Matrix {role}", "mobile_no": mobile, "email": "matrix@example.com"},
		timeout=30,
	)
	assert created.status_code == (200 if "c" in letters else 403), created.text
	portal = session.post(
		resource(LOYALTY_MEMBER),
		json={
			"member_name": "Takeover",
			"mobile_no": f"+86136{mobile[-8:]}",
			"user": "clerk-api@loyalty.test",
		},
		timeout=30,
	)
	assert portal.status_code == (200 if role in MATRIX["fields"][LOYALTY_MEMBER]["user"]["write"] else 403)
	target = created.json()["data"]["name"] if created.status_code == 200 else data["poor"]
	if created.status_code == 200 and role not in MATRIX["fields"][LOYALTY_MEMBER]["email"]["read"]:
		assert "matrix@example.com" not in created.text
		assert created.json()["data"]["email_masked"] == "m*****@e******.com"
	deleted = session.delete(resource(LOYALTY_MEMBER, target), timeout=30)
	# allowed to delete: done, or refused only because other records already link to the member
	assert (deleted.status_code in (202, 417)) if "d" in letters else deleted.status_code == 403, deleted.text
	for leftover in (created, portal):
		if leftover.status_code == 200 and "d" not in letters:
			sessions["Loyalty Manager"].delete(
				resource(LOYALTY_MEMBER, leftover.json()["data"]["name"]), timeout=30
			)
	if portal.status_code == 200 and "d" in letters:
		session.delete(resource(LOYALTY_MEMBER, portal.json()["data"]["name"]), timeout=30)


@pytest.mark.parametrize("role", ONE_MEMBER_ROLES)
def test_the_v1_api_and_the_export_answer_only_the_roles_that_should(sessions, data, role):
	member = sessions[role].get(
		method("loyalty_app.api.v1.member"), params={"member": data["rich"]}, timeout=30
	)
	assert member.status_code == (
		200 if role in ("Loyalty Integration", "Loyalty Manager", "System Manager") else 403
	)
	if member.status_code == 200 and role not in MATRIX["fields"][LOYALTY_MEMBER]["mobile_no"]["read"]:
		assert data["rich_mobile"] not in member.text
	export = sessions[role].get(
		method("loyalty_app.trust.api.download_member_data"), params={"member": data["rich"]}, timeout=30
	)
	assert export.status_code == (200 if role in ("Loyalty Manager", "System Manager") else 403)
	assert export.status_code == 403 or data["rich_mobile"] in export.text
