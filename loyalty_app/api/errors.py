"""The v1 API's error body for failures Frappe answers before an endpoint runs.

A cut-off JSON body, a missing or wrong token, the wrong HTTP method or an unknown v1 endpoint never
reach `v1.endpoint`'s wrapper: Frappe answers them itself (a 500 with a traceback for bad JSON, its own
exception body otherwise). This `after_request` hook gives every v1 path the documented answer instead:
`{"error": {"code", "message"}}` with a 4xx status and a stable code, never a traceback.
"""

import json

import frappe
from frappe import _

V1_PATHS = ("/api/method/loyalty_app.api.v1.", "/api/v2/method/loyalty_app.api.v1.")
STATUS_CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 429: "rate_limited"}


def shape_v1_errors(response=None, request=None) -> None:
	if response is None or request is None or response.status_code < 400:
		return
	path = request.path
	if not path.startswith(V1_PATHS):
		return
	if error := _endpoint_error(response):  # the endpoint's own answer: only that, nothing Frappe added
		status = response.status_code
	else:
		status, code, message = _classify(
			request, path.split("loyalty_app.api.v1.", 1)[1], response.status_code
		)
		error = {"code": code, "message": message}
		if status >= 500:
			frappe.log_error(f"v1 {path}: {response.status_code}", response.get_data(as_text=True))
	response.set_data(json.dumps({"error": error}))
	response.status_code = status
	response.headers["Content-Type"] = "application/json"


def _endpoint_error(response) -> dict | None:
	try:
		body = json.loads(response.get_data(as_text=True) or "null")
	except ValueError:
		return None
	error = body.get("error") if isinstance(body, dict) else None
	if isinstance(error, dict) and {"code", "message"} <= set(error):
		return {"code": error["code"], "message": error["message"]}
	return None


def _classify(request, name: str, status: int) -> tuple[int, str, str]:
	"""What the caller did wrong, from the request itself, else from Frappe's status."""
	from loyalty_app.api.v1 import ENDPOINTS

	if request.is_json:
		try:
			body = json.loads(request.get_data(as_text=True) or "{}")
		except ValueError:
			return 400, "invalid_json", _("The request body is not valid JSON")
		if not isinstance(body, dict):
			return 400, "invalid_request", _("The request body must be a JSON object")
	methods = {"openapi": "GET", **{endpoint: spec[0] for endpoint, spec in ENDPOINTS.items()}}
	if name not in methods:
		return 404, "unknown_endpoint", _("There is no v1 endpoint {0}").format(name)
	if status == 401 or frappe.session.user in (None, "Guest"):
		return 401, "not_authenticated", _("Send a valid token: Authorization: token <api_key>:<api_secret>")
	if request.method not in (methods[name], "HEAD" if methods[name] == "GET" else None):
		return 405, "method_not_allowed", _("{0} takes {1} requests").format(name, methods[name])
	if status in STATUS_CODES:
		return status, STATUS_CODES[status], _("The request was refused ({0})").format(status)
	if status < 500:
		return 400, "invalid_request", _("The request was not understood")
	return 500, "internal_error", _("Something went wrong on our side; it has been logged")
