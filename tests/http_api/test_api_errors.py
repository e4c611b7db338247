"""Every v1 endpoint with every kind of failure a caller can cause: the documented error body, a stable
code, a 4xx status and no traceback (issue #15)."""

import json
from pathlib import Path

import pytest
import requests

from .conftest import BASE_URL, Client

OPENAPI = json.loads((Path(__file__).parents[2] / "loyalty_app/api/openapi.json").read_text())
PREFIX = "/api/method/loyalty_app.api.v1."
OPERATIONS = sorted(
	(path[len(PREFIX) :], method.upper()) for path, item in OPENAPI["paths"].items() for method in item
)
WRITES = [name for name, method in OPERATIONS if method == "POST"]


def assert_error(response: requests.Response, status: int, code: str) -> None:
	assert response.status_code == status, (response.status_code, response.text)
	assert response.headers["Content-Type"].startswith("application/json"), response.headers
	body = response.json()
	assert set(body) == {"error"}, body
	assert body["error"]["code"] == code, body
	assert body["error"]["message"], body
	assert "Traceback" not in response.text and "exc_type" not in response.text


def call(client: Client, name: str, method: str, **kwargs) -> requests.Response:
	return client.session.request(method, client.url(name), timeout=30, **kwargs)


@pytest.mark.parametrize(("name", "method"), OPERATIONS)
def test_without_a_token(name, method):
	assert_error(call(Client(None), name, method, json={}), 401, "not_authenticated")


@pytest.mark.parametrize(("name", "method"), OPERATIONS)
def test_with_a_wrong_token(name, method):
	assert_error(call(Client("nobody:wrong-secret"), name, method, json={}), 401, "not_authenticated")


@pytest.mark.parametrize(("name", "method"), OPERATIONS)
def test_wrong_http_method(api, name, method):
	other = "GET" if method == "POST" else "POST"
	assert_error(call(api, name, other, json={}), 405, "method_not_allowed")


@pytest.mark.parametrize("name", WRITES)
def test_cut_off_json_body(api, name):
	response = call(
		api, name, "POST", data='{"member": "x", "points": 1', headers={"Content-Type": "application/json"}
	)
	assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("name", WRITES)
def test_a_json_body_that_is_not_an_object(api, name):
	assert_error(call(api, name, "POST", json=["member"]), 400, "invalid_request")


@pytest.mark.parametrize("name", WRITES)
def test_bad_types(api, name):
	schema = OPENAPI["paths"][PREFIX + name]["post"]["requestBody"]["content"]["application/json"]["schema"]
	if "$ref" in schema:
		schema = OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
	body = {field: {"not": ["a", "scalar"]} for field in schema["properties"]}
	assert_error(call(api, name, "POST", json=body), 400, "invalid_request")


@pytest.mark.parametrize(("name", "method"), [(n, m) for n, m in OPERATIONS if m == "GET"])
def test_bad_query(api, name, method):
	assert_error(call(api, name, "GET", params={"no_such_argument": "1"}), 400, "invalid_request")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_endpoint(api, method):
	assert_error(call(api, "no_such_endpoint", method, json={}), 404, "unknown_endpoint")
	assert_error(call(api, "__init__", method, json={}), 404, "unknown_endpoint")


def test_the_openapi_document_stays_public():
	assert requests.get(f"{BASE_URL}{PREFIX}openapi", timeout=30).status_code == 200
