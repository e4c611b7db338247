"""A local stand-in for WeChat's jscode2session (GET /sns/jscode2session), implementing its documented
request and response: it checks appid, secret and grant_type, answers {openid, session_key, unionid?}
for a code it issued (once: a code is single use) and WeChat's documented errors otherwise."""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

INVALID_CODE, CODE_USED, INVALID_APPID, INVALID_SECRET, RATE_LIMITED, BUSY = (
	40029,
	40163,
	40013,
	40125,
	45011,
	-1,
)


class FakeWeChat:
	def __init__(self, app_id: str, secret: str) -> None:
		self.app_id, self.secret = app_id, secret
		self.codes: dict[str, dict] = {}  # code -> {"openid", "unionid"} or {"errcode"}
		self.requests: list[dict] = []
		self.session_keys: list[str] = []
		fake = self

		class Handler(BaseHTTPRequestHandler):
			def do_GET(self):
				fake.answer(self)

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
		threading.Thread(target=self.server.serve_forever, daemon=True).start()

	def stop(self) -> None:
		self.server.shutdown()
		self.server.server_close()

	def issue_code(self, openid: str, unionid: str | None = None) -> str:
		"""What wx.login gives the mini-program of this user."""
		code = secrets.token_hex(16)
		self.codes[code] = {"openid": openid, "unionid": unionid}
		return code

	def failing_code(self, errcode: int) -> str:
		code = secrets.token_hex(16)
		self.codes[code] = {"errcode": errcode}
		return code

	def answer(self, handler: BaseHTTPRequestHandler) -> None:
		url = urlparse(handler.path)
		params = {key: values[0] for key, values in parse_qs(url.query).items()}
		self.requests.append(params)
		if url.path != "/sns/jscode2session":
			return self.reply(handler, {"errcode": 40066, "errmsg": "invalid url"}, status=404)
		if params.get("appid") != self.app_id:
			return self.error(handler, INVALID_APPID, "invalid appid")
		if params.get("secret") != self.secret:
			return self.error(handler, INVALID_SECRET, "invalid appsecret")
		if params.get("grant_type") != "authorization_code":
			return self.error(handler, 40002, "invalid grant_type")
		user = self.codes.pop(params.get("js_code") or "", None)
		if user is None:
			return self.error(handler, INVALID_CODE, "invalid code")
		if "errcode" in user:
			return self.error(
				handler, user["errcode"], "system error" if user["errcode"] == BUSY else "error"
			)
		session_key = secrets.token_urlsafe(16)
		self.session_keys.append(session_key)
		body = {"openid": user["openid"], "session_key": session_key}
		if user["unionid"]:
			body["unionid"] = user["unionid"]
		self.reply(handler, body)

	def error(self, handler, errcode: int, errmsg: str) -> None:
		# WeChat answers its errors with HTTP 200 and errcode/errmsg in the body.
		self.reply(handler, {"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(4)}"})

	def reply(self, handler, body: dict, status: int = 200) -> None:
		data = json.dumps(body).encode()
		handler.send_response(status)
		handler.send_header("Content-Type", "application/json")
		handler.send_header("Content-Length", str(len(data)))
		handler.end_headers()
		handler.wfile.write(data)
