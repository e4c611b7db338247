"""Integrators are told of ledger postings by Frappe's Webhook machinery, without polling."""

import time
from urllib.parse import urlparse

from loyalty_app.tests.webhook_receiver import serve


def test_an_earn_reaches_the_registered_webhook(api, data, key):
	address = urlparse(data["webhook_receiver"])
	server, received = serve(address.hostname, address.port)
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
