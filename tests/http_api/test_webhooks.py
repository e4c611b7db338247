"""Integrators are told of ledger postings by Frappe's Webhook machinery, without polling."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse


def test_an_earn_reaches_the_registered_webhook(api, data, key):
	received: list[dict] = []

	class Receiver(BaseHTTPRequestHandler):
		def do_POST(self):
			received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
			self.send_response(200)
			self.end_headers()

		def log_message(self, *args):
			pass

	address = urlparse(data["webhook_receiver"])
	server = HTTPServer((address.hostname, address.port), Receiver)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	try:
		earned = api.post("earn", member=data["poor"], order_id=key, amount=12).json()["message"]
		deadline = time.monotonic() + 45
		ours = []
		while time.monotonic() < deadline and not ours:
			time.sleep(0.5)
			ours = [event for event in received if event["voucher_no"] == earned["transaction"]]
	finally:
		server.shutdown()
	assert ours == [
		{"member": data["poor"], "entry_type": "Earn", "points": 12, "voucher_no": earned["transaction"]}
	]
