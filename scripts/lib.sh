# Shared settings and helpers for scripts/setup and scripts/test (sourced, not run).
# Every setting can be overridden from the environment.

LOYALTY_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOYALTY_BENCH=${LOYALTY_BENCH:-/home/frappe/frappe-bench}
LOYALTY_BENCH_USER=${LOYALTY_BENCH_USER:-frappe}
LOYALTY_DB_ROOT_USER=${LOYALTY_DB_ROOT_USER:-loyalty_admin}
LOYALTY_DB_ROOT_PASSWORD=${LOYALTY_DB_ROOT_PASSWORD:-loyalty_admin}
LOYALTY_ADMIN_PASSWORD=${LOYALTY_ADMIN_PASSWORD:-admin}
LOYALTY_REDIS_URL=${LOYALTY_REDIS_URL:-redis://127.0.0.1:6379}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Run a shell snippet as the bench's user, in the bench folder, with that user's login PATH.
as_bench_user() {
	if [ "$(id -un)" = "$LOYALTY_BENCH_USER" ]; then
		(cd "$LOYALTY_BENCH" && bash -c "$1")
	else
		runuser -u "$LOYALTY_BENCH_USER" -- bash -lc "cd '$LOYALTY_BENCH' && $1"
	fi
}

bench_cmd() { as_bench_user "bench $*"; }

# Run a bench command with its (progress-bar heavy) output in a log; show the log's tail if it fails.
bench_logged() {
	local name=$1 log
	shift
	log="$LOYALTY_BENCH/logs/loyalty-$name.log"
	if ! bench_cmd "$*" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "bench $* failed (full log: $log)"
	fi
}

db_root_args() {
	printf -- '--db-root-username %q --db-root-password %q' "$LOYALTY_DB_ROOT_USER" "$LOYALTY_DB_ROOT_PASSWORD"
}

# Copy this checkout into the bench as apps/loyalty_app and make sure the bench knows the app.
# A copy (not a symlink) so the bench user can read it wherever the checkout lives.
sync_app_into_bench() {
	local app_dir="$LOYALTY_BENCH/apps/loyalty_app"
	say "Syncing loyalty_app from $LOYALTY_SRC into $app_dir"
	rsync -a --delete --exclude '__pycache__' --exclude '.pytest_cache' --exclude '.hypothesis' \
		--exclude '.ruff_cache' --exclude 'node_modules' "$LOYALTY_SRC/" "$app_dir/"
	chown -R "$LOYALTY_BENCH_USER:" "$app_dir" 2>/dev/null || true
	# (Re)install when the app or its dependencies (pyproject.toml) are new to the bench's virtualenv.
	local installed="$LOYALTY_BENCH/env/.loyalty_app_pyproject.toml"
	if ! as_bench_user "env/bin/python -c 'import loyalty_app' 2>/dev/null" || ! cmp -s "$app_dir/pyproject.toml" "$installed"; then
		as_bench_user "uv pip install --quiet --python env/bin/python -e apps/loyalty_app || env/bin/pip install --quiet -e apps/loyalty_app"
		as_bench_user "cp apps/loyalty_app/pyproject.toml env/.loyalty_app_pyproject.toml"
	fi
	local apps_txt="$LOYALTY_BENCH/sites/apps.txt"
	if ! grep -qx loyalty_app "$apps_txt"; then
		[ -z "$(tail -c1 "$apps_txt")" ] || echo >>"$apps_txt"
		echo loyalty_app >>"$apps_txt"
	fi
}

# The Python tools the test command needs, inside the bench's virtualenv.
ensure_dev_tools() {
	as_bench_user "env/bin/python -c 'import pytest, ruff, xmlrunner, schemathesis; from hypothesis.strategies import many' 2>/dev/null" ||
		as_bench_user "uv pip install --quiet --python env/bin/python 'pytest~=8.3' 'hypothesis>=6.108,<6.130' 'ruff~=0.8' \
			'unittest-xml-reporting~=3.2' 'schemathesis~=3.39'"
}

# Debian's Chromium for the browser test, and the test's node packages.
ensure_browser_tools() {
	if ! command -v chromium >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "the browser test needs Chromium: apt-get install chromium"
		say "Installing Chromium for the browser test"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	fi
	(cd "$LOYALTY_SRC/tests/browser" && npm ci --silent --no-audit --no-fund >/dev/null)
}

# Serve a site in the background on a port, in a process group of its own whose id goes to
# logs/loyalty-serve-<port>.pid (the server runs as a child process: stop the whole group). The server is
# Frappe's development server, or with "gunicorn" the production one (two workers a core) that answers
# for the site named in the Host header.
serve_site() {
	local site=$1 port=$2 server=${3:-bench}
	if curl -fsS "http://127.0.0.1:$port/api/method/ping" >/dev/null 2>&1; then
		die "something already answers on port $port (a server left from an earlier run?): stop it, or set another port"
	fi
	local command="bench --site $site serve --port $port"
	if [ "$server" = gunicorn ]; then
		command="env/bin/gunicorn --chdir sites -b 127.0.0.1:$port -w $((2 * $(nproc))) -t 120 --preload frappe.app:application"
	fi
	start_in_background "$LOYALTY_BENCH/logs/loyalty-serve-$port" "$command"
	for _ in $(seq 60); do
		curl -fsS -H "Host: $site" "http://127.0.0.1:$port/api/method/ping" >/dev/null 2>&1 && return 0
		sleep 1
	done
	die "site $site did not answer on port $port"
}

# Run a bench command in the background as the bench user, in a new session (its own process group);
# output to <base>.log, the group id to <base>.pid for stop_served.
start_in_background() {
	local base=$1 command=$2
	rm -f "$base.pid"
	as_bench_user "setsid bash -c 'echo \$\$ >$base.pid; exec $command' >$base.log 2>&1 </dev/null &"
	for _ in $(seq 50); do [ -s "$base.pid" ] && return 0; sleep 0.1; done
	die "could not start: $command"
}

stop_served() {
	local pidfile
	for pidfile in "$LOYALTY_BENCH"/logs/loyalty-serve-*.pid "$LOYALTY_BENCH"/logs/loyalty-test-worker.pid; do
		[ -f "$pidfile" ] || continue
		kill -- "-$(cat "$pidfile")" 2>/dev/null
		rm -f "$pidfile"
	done
	return 0
}

# Drop (if present) and create a site with erpnext and loyalty_app installed.
fresh_site() {
	local site=$1
	if [ -d "$LOYALTY_BENCH/sites/$site" ]; then
		bench_logged drop-site "drop-site $site --force --no-backup $(db_root_args)"
	fi
	bench_logged new-site "new-site $site $(db_root_args) --mariadb-user-host-login-scope=% --admin-password $LOYALTY_ADMIN_PASSWORD --install-app erpnext --install-app loyalty_app"
}

# MariaDB and Redis must answer; start them when they are installed but stopped.
ensure_services() {
	if ! mariadb-admin ping >/dev/null 2>&1 && ! mysqladmin ping >/dev/null 2>&1; then
		say "Starting MariaDB"
		if command -v systemctl >/dev/null 2>&1 && systemctl start mariadb 2>/dev/null; then :; else
			start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
		fi
		for _ in $(seq 30); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 1; done
	fi
	if ! redis-cli -u "$LOYALTY_REDIS_URL" ping >/dev/null 2>&1; then
		say "Starting Redis"
		if command -v systemctl >/dev/null 2>&1 && systemctl start redis-server 2>/dev/null; then :; else
			redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
		fi
		for _ in $(seq 30); do redis-cli -u "$LOYALTY_REDIS_URL" ping >/dev/null 2>&1 && break; sleep 1; done
	fi
	mariadb-admin ping >/dev/null 2>&1 || die "MariaDB is not running"
	redis-cli -u "$LOYALTY_REDIS_URL" ping >/dev/null 2>&1 || die "Redis is not answering at $LOYALTY_REDIS_URL"
}
