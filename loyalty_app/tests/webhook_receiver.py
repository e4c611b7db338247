"""A local HTTP receiver for webhook tests (no Frappe import: the HTTP API tests use it too)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


def serve(host: str = "127.0.0.1", port: int = 0) -> tuple[HTTPServer, list[dict]]:
	"""Start a receiver in a thread; returns the server (shut it down after) and the JSON bodies received."""
	received: list[dict] = []

	class Receiver(BaseHTTPRequestHandler):
		def do_POST(self):
			received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
			self.send_response(200)
			self.end_headers()

		def log_message(self, *args):
			pass

	server = HTTPServer((host, port), Receiver)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	return server, received
