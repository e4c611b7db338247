"""The load client of `scripts/benchmark http` (plain Python: it talks to the server, never to the database).

    python -m loyalty_app.benchmarks.http_load FIXTURE BASE_URL [--seconds S] [--clients 1,20]

For each call and each number of clients it runs that many threads, each with its own keep-alive
connection, for a bounded time (and a bounded number of requests), all against the one server on
loopback, and prints p50, p95, throughput and errors per call, then the ratios the performance goals
are stated in. Every call runs as the same kind of API user with token authentication.
"""

import argparse
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

MAX_REQUESTS_PER_CLIENT = 5000


@dataclass
class Call:
	name: str
	method: str
	path: str
	token: str
	params: dict | None = None
	body: object = None  # a dict, or a function of the client's number and request count giving one


@dataclass
class Result:
	call: str
	clients: int
	latencies_ms: list[float] = field(default_factory=list)
	errors: int = 0
	seconds: float = 0.0
	first_error: str = ""

	@property
	def throughput(self) -> float:
		return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

	def percentile(self, share: float) -> float:
		if not self.latencies_ms:
			return float("nan")
		ordered = sorted(self.latencies_ms)
		return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def calls(fixture: dict) -> list[Call]:
	api = f"token {fixture['integration']['token']}"
	clerk = f"token {fixture['clerk']['token']}"
	pool = fixture["pool"]

	def earn_body(client: int, count: int) -> dict:
		return {
			"member": pool[client % len(pool)],
			"order_id": f"http-bench-{uuid.uuid4().hex}",
			"amount": 10,
		}

	def redeem_body(client: int, count: int) -> dict:
		return {"member": pool[client % len(pool)], "points": 1, "key": f"http-bench-{uuid.uuid4().hex}"}

	return [
		Call("token-auth floor (frappe.auth.get_logged_user)", "GET", "frappe.auth.get_logged_user", api),
		Call(
			"ERPNext get_loyalty_program_details_with_points",
			"GET",
			"erpnext.accounts.doctype.loyalty_program.loyalty_program.get_loyalty_program_details_with_points",
			api,
			params={
				"customer": fixture["customer"],
				"loyalty_program": fixture["erpnext_program"],
				"company": fixture["company"],
				"silent": 1,
			},
		),
		Call(
			"member summary (v1.member)",
			"GET",
			"loyalty_app.api.v1.member",
			api,
			{"member": fixture["member"]},
		),
		Call(
			"POS look-up (pos.lookup, clerk)",
			"GET",
			"loyalty_app.api.pos.lookup",
			clerk,
			{"query": fixture["mobile"]},
		),
		Call(
			"validate_coupon (v1)",
			"GET",
			"loyalty_app.api.v1.validate_coupon",
			api,
			{"code": fixture["coupon"], "member": fixture["member"]},
		),
		Call("earn (v1, a pool of members)", "POST", "loyalty_app.api.v1.earn", api, body=earn_body),
		Call("redeem (v1, a pool of members)", "POST", "loyalty_app.api.v1.redeem", api, body=redeem_body),
	]


def run_call(base_url: str, site: str, call: Call, clients: int, seconds: float) -> Result:
	result = Result(call.name, clients)
	lock = threading.Lock()
	stop_at = [0.0]
	# the barrier's action sets the end before any client is released
	start_together = threading.Barrier(
		clients + 1, action=lambda: stop_at.__setitem__(0, time.perf_counter() + seconds)
	)
	url = f"{base_url}/api/method/{call.path}"

	def client(number: int) -> None:
		session = requests.Session()
		session.headers.update({"Authorization": call.token, "Host": site, "Accept": "application/json"})
		session.get(f"{base_url}/api/method/ping", timeout=30)  # open the connection before timing
		start_together.wait()
		for count in itertools.count():
			if time.perf_counter() >= stop_at[0] or count >= MAX_REQUESTS_PER_CLIENT:
				return
			body = call.body(number, count) if callable(call.body) else call.body
			began = time.perf_counter()
			try:
				response = session.request(call.method, url, params=call.params, json=body, timeout=30)
				ok = response.status_code == 200
				error = "" if ok else f"{response.status_code} {response.text[:200]}"
			except requests.RequestException as e:
				ok, error = False, repr(e)[:200]
			elapsed = (time.perf_counter() - began) * 1000
			with lock:
				if ok:
					result.latencies_ms.append(elapsed)
				else:
					result.errors += 1
					result.first_error = result.first_error or error

	threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
	for thread in threads:
		thread.start()
	start_together.wait()
	began = stop_at[0] - seconds
	for thread in threads:
		thread.join(timeout=seconds + 60)
	result.seconds = time.perf_counter() - began
	return result


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("fixture")
	parser.add_argument("base_url")
	parser.add_argument("--seconds", type=float, default=10)
	parser.add_argument("--clients", default="1,20")
	args = parser.parse_args()
	if urlsplit(args.base_url).hostname not in ("127.0.0.1", "localhost", "::1"):
		raise SystemExit("the HTTP benchmark only loads a server on loopback")
	with open(args.fixture) as f:
		fixture = json.load(f)
	client_counts = [int(n) for n in args.clients.split(",")]
	results = {}
	for call in calls(fixture):
		for clients in client_counts:
			results[call.name, clients] = run_call(
				args.base_url, fixture["site"], call, clients, args.seconds
			)
	print_table(results, client_counts, fixture)


def print_table(results: dict, client_counts: list[int], fixture: dict) -> None:
	print(f"\nHTTP under gunicorn, member with {fixture['entries']} ledger entries (ms, requests/s):")
	header = f"{'call':52}" + "".join(
		f" | {n:>2} client{'s' if n > 1 else ' '}: p50     p95   req/s  errors" for n in client_counts
	)
	print(header)
	for name in dict.fromkeys(call for call, _clients in results):
		row = f"{name:52}"
		for clients in client_counts:
			r = results[name, clients]
			row += f" | {r.percentile(0.5):21.1f} {r.percentile(0.95):7.1f} {r.throughput:7.1f} {r.errors:7d}"
		print(row)
	for name in dict.fromkeys(call for call, _clients in results):
		for clients in client_counts:
			if results[name, clients].first_error:
				print(f"  first error of {name} at {clients}: {results[name, clients].first_error}")
	floor, erpnext = (
		"token-auth floor (frappe.auth.get_logged_user)",
		"ERPNext get_loyalty_program_details_with_points",
	)
	most = max(client_counts)
	least = min(client_counts)
	print("\nRatios (goals in brackets):")
	for name in ("member summary (v1.member)", "POS look-up (pos.lookup, clerk)"):
		ours = results[name, most]
		print(
			f"  {name} at {most} clients: {ours.throughput / results[floor, most].throughput * 100:5.1f} % of the "
			f"floor's throughput [>= 90 %], {ours.throughput / results[erpnext, most].throughput:4.2f}x ERPNext's [>= 2x]; "
			f"p50 at {least}: {results[name, least].percentile(0.5) - results[floor, least].percentile(0.5):+5.1f} ms "
			"over the floor [<= 3 ms]"
		)
	print(f"  errors in all calls: {sum(r.errors for r in results.values())}")


if __name__ == "__main__":
	main()
