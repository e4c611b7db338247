"""The HTTP suite runs against a served test site; scripts/test starts it and sets these variables."""

import json
import os
import uuid

import pytest
import requests

BASE_URL = os.environ.get("LOYALTY_HTTP_BASE_URL")
FIXTURE = os.environ.get("LOYALTY_HTTP_FIXTURE")

if not (BASE_URL and FIXTURE):
	pytest.skip("set by scripts/test once the test site is served", allow_module_level=True)


@pytest.fixture(scope="session")
def data() -> dict:
	with open(FIXTURE) as f:
		return json.load(f)


class Client:
	def __init__(self, token: str | None) -> None:
		self.session = requests.Session()
		if token:
			self.session.headers["Authorization"] = f"token {token}"

	def url(self, method: str) -> str:
		return f"{BASE_URL}/api/method/loyalty_app.api.v1.{method}"

	def get(self, method: str, **params) -> requests.Response:
		return self.session.get(self.url(method), params=params, timeout=30)

	def post(self, method: str, **body) -> requests.Response:
		return self.session.post(self.url(method), json=body, timeout=30)


@pytest.fixture(scope="session")
def api(data) -> Client:
	return Client(data["integration"]["token"])


@pytest.fixture
def key() -> str:
	return f"t-{uuid.uuid4().hex}"
