#!/usr/bin/env bash
# Benchmarks hostpay's hot routes against the ceilings underneath, side by side in one run:
# the HTTP stack (GET /healthz) and, on PostgreSQL, pgbench running the minimal SQL of the
# same work. Prints req/s, p50 and p99 per route and each ratio, the resident memory of
# hostpay under the load, and (unless BENCH_WRITE=0) writes the table and an SVG chart into
# docs/benchmarks.md (between the bench markers of the backend) and docs/bench-<backend>.svg.
#
#   scripts/bench.sh sqlite            # 10 s per route (BENCH_DURATION=10)
#   scripts/bench.sh postgres          # PostgreSQL on 127.0.0.1:5432 (BENCH_PG_URL to change)
#   BENCH_DURATION=2 BENCH_WRITE=0 BENCH_PROFILE=debug scripts/bench.sh sqlite
#                                      # what scripts/test.sh runs: keeps it working (a debug
#                                      # build; its figures mean nothing and are not written)
#   BENCH_POOL_SIZE=32 scripts/bench.sh postgres   # hostpay's database pool (default: its config default, 10)
#   BENCH_ONLY='payments/\{id\}|verify' BENCH_WRITE=0 scripts/bench.sh sqlite
#                                      # only the routes whose label matches (an extended regex)
#   BENCH_PERF=/tmp/perf BENCH_ONLY=... BENCH_WRITE=0 scripts/bench.sh sqlite
#                                      # also profiles hostpay under each route: perf record
#                                      # (call graphs) 2 s into the run for 5 s, written to
#                                      # /tmp/perf/<route>.data; read with
#                                      # perf report -i /tmp/perf/get_payment.data --children --sort sym -g none
#
# Needs wrk (Debian's package; installed when missing), pgbench for postgres, gnuplot for the
# chart (installed when missing; without it the chart is skipped with a message).
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
write_docs=${BENCH_WRITE:-1}
profile=${BENCH_PROFILE:-release}
case "$profile" in release | debug) ;; *) echo "BENCH_PROFILE is release or debug" >&2; exit 2 ;; esac
if [ "$profile" = debug ] && [ "$write_docs" = 1 ]; then
  echo "a debug build's figures are not written to docs: set BENCH_WRITE=0" >&2
  exit 2
fi
case "$backend" in sqlite | postgres) ;; *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;; esac
if { [ -n "${BENCH_ONLY:-}" ] || [ -n "${BENCH_PERF:-}" ]; } && [ "$write_docs" = 1 ]; then
  echo "a partial or profiled run's figures are not written to docs: set BENCH_WRITE=0" >&2
  exit 2
fi

log() { printf '==> %s\n' "$*" >&2; }

need_package() {
  if ! command -v "$1" >/dev/null 2>&1; then
    log "installing Debian's $2"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  fi
}
need_package wrk wrk
need_package gnuplot gnuplot-nox || true
need_package jq jq
[ "$backend" = postgres ] && need_package pgbench postgresql-client

log "building hostpay ($profile)"
if [ "$profile" = release ]; then
  cargo build --release --quiet --bin hostpay
else
  cargo build --quiet --bin hostpay
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
hostpay="$target_dir/$profile/hostpay"

work=$(mktemp -d /tmp/hostpay-bench.XXXXXX)
server_pid=
pg_db=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -n "$pg_db" ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
public_port=$(free_port)
internal_port=$(free_port)
public="http://127.0.0.1:$public_port"
internal="http://127.0.0.1:$internal_port"
admin=bench-admin-token-0123456789

case "$backend" in
  sqlite) db_url="sqlite://$work/hostpay.db" ;;
  postgres)
    pg_admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    pg_db="hostpay_bench_$$"
    psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null
    db_url="${pg_admin%/*}/$pg_db"
    ;;
esac
# hostpay runs with its default database pool (10) unless BENCH_POOL_SIZE says otherwise
# (measured on 2 cores: 32 connections, pgbench's client count, is slower than 10 for
# every route: more PostgreSQL backends than cores only contend).
if [ -n "${BENCH_POOL_SIZE:-}" ]; then export HOSTPAY__DATABASE__POOL_SIZE="$BENCH_POOL_SIZE"; fi

log "starting hostpay on $backend"
HOSTPAY__DATABASE__URL="$db_url" \
HOSTPAY__DATABASE__MIGRATE_ON_START=true \
HOSTPAY__SERVER__BIND="127.0.0.1:$public_port" \
HOSTPAY__SERVER__PUBLIC_URL="$public" \
HOSTPAY__INTERNAL__BIND="127.0.0.1:$internal_port" \
HOSTPAY__INTERNAL__ADMIN_TOKEN="$admin" \
HOSTPAY__SECURITY__HASH_KEY=bench-hash-key-0123456789abcdef0123 \
HOSTPAY__RATE_LIMIT__PER_SECOND=10000000 \
HOSTPAY__RATE_LIMIT__BURST=10000000 \
HOSTPAY__BOXO__CLIENT_ID=bench_client \
HOSTPAY__BOXO__SECRET_KEY=bench_secret \
HOSTPAY__LOG__FORMAT=json \
RUST_LOG=warn \
  "$hostpay" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$public/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "hostpay exited" >&2; exit 1; }
  sleep 0.2
done

# Fixtures: one miniapp, a payment with an item, an order activity, a user token.
app=$(curl -fsS -X POST "$internal/internal/v1/apps" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' -d '{"name":"Bench"}')
app_id=$(jq -r .data.app_id <<<"$app")
secret=$(jq -r .data.secret_key <<<"$app")
auth="Token $(printf '%s:%s' "$app_id" "$secret" | base64 -w0)"
boxo_auth="Token $(printf '%s' 'bench_client:bench_secret' | base64 -w0)"
payment_body='{"user_id":"bench-user","amount":"12.50","currency":"USD","items":[{"product_name":"Pizza","quantity":1,"price":"12.50"}]}'
payment_id=$(curl -fsS -X POST "$public/api/v1/payments" -H "Authorization: $auth" \
  -H 'Content-Type: application/json' -d "$payment_body" | jq -r .data.id)
for _ in $(seq 1 30); do # a user with a full page of payments for the list
  curl -fsS -o /dev/null -X POST "$public/api/v1/payments" -H "Authorization: $auth" \
    -H 'Content-Type: application/json' -d "$payment_body"
done
curl -fsS -o /dev/null -X POST "$public/api/v1/order-activities" -H "Authorization: $auth" \
  -H 'Content-Type: application/json' \
  -d '{"order_id":"bench-order","user_id":"bench-user","status":"confirmed","items":[{"product_name":"Pizza","quantity":1,"price":"12.50"}],"total":"12.50","currency":"USD"}'
user_token=$(curl -fsS -X POST "$internal/internal/v1/user-tokens" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' -d "{\"user_id\":\"bench-user\",\"app_id\":\"$app_id\"}" | jq -r .data.token)
boxo_payment=$(curl -fsS -X POST "$public/boxo/v1/order-payments" -H "Authorization: $boxo_auth" \
  -H 'Content-Type: application/json' \
  -d "{\"app_id\":\"$app_id\",\"order\":{\"amount\":\"10.00\",\"currency\":\"SAR\",\"miniapp_order_id\":\"bench-b0\",\"hostapp_user_id\":\"bench-user\"}}" \
  | jq -r .order_payment_id)

# wrk scripts: method, headers, body; creations vary their order ids so each is new.
lua() { # name method header-lines body
  cat >"$work/$1.lua" <<EOF
wrk.method = "$2"
$3
wrk.body = [[$4]]
EOF
}
lua healthz GET '' ''
lua get_payment GET "wrk.headers[\"Authorization\"] = \"$auth\"" ''
lua get_activity GET "wrk.headers[\"Authorization\"] = \"$auth\"" ''
lua list_payments GET "wrk.headers[\"Authorization\"] = \"$auth\"" ''
lua verify_token POST "wrk.headers[\"Authorization\"] = \"$auth\"
wrk.headers[\"miniapp-user-token\"] = \"$user_token\"" ''
lua create_payment POST "wrk.headers[\"Authorization\"] = \"$auth\"
wrk.headers[\"Content-Type\"] = \"application/json\"" "$payment_body"
lua boxo_status POST "wrk.headers[\"Authorization\"] = \"$boxo_auth\"
wrk.headers[\"Content-Type\"] = \"application/json\"" "{\"app_id\":\"$app_id\",\"client_id\":\"bench_client\",\"order_payment_id\":\"$boxo_payment\"}"
cat >"$work/boxo_create.lua" <<EOF
wrk.method = "POST"
wrk.headers["Authorization"] = "$boxo_auth"
wrk.headers["Content-Type"] = "application/json"
-- Each wrk thread has its own Lua state with the same random sequence: its number (set by
-- setup) keeps the threads' order ids apart, so every creation is new.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"app_id":"$app_id","order":{"amount":"10.00","currency":"SAR","miniapp_order_id":"bench-' .. tostring(tid) .. '-' .. tostring(math.random(1, 1000000000)) .. '-' .. counter .. '","hostapp_user_id":"bench-user"}}'
  return wrk.format(nil, nil, nil, body)
end
EOF

results="$work/results.tsv"
: >"$results"
peak_rss_kb=0
sample_rss() {
  local rss
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
  [ "${rss:-0}" -gt "$peak_rss_kb" ] && peak_rss_kb=$rss
  return 0
}

to_ms() { # wrk latency "1.23ms" / "850.00us" / "1.02s" -> milliseconds
  python3 -c '
import sys, re
v = sys.argv[1]
m = re.match(r"([0-9.]+)(us|ms|s|m)", v)
n, u = float(m.group(1)), m.group(2)
print(round({"us": n / 1000, "ms": n, "s": n * 1000, "m": n * 60000}[u], 3))' "$1"
}

run_wrk() { # label url script
  local out
  grep -Eq -- "${BENCH_ONLY:-.}" <<<"$1" || return 0
  log "wrk ${duration}s: $1"
  if [ -n "${BENCH_PERF:-}" ]; then
    need_package perf linux-perf
    mkdir -p "$BENCH_PERF"
    (sleep 2; perf record -F 400 --call-graph dwarf,16384 -o "$BENCH_PERF/$3.data" \
       -p "$server_pid" -- sleep 5 >/dev/null 2>&1) &
    perf_pid=$!
  fi
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/$3.lua" "$2" &
        wrk_pid=$!
        while kill -0 "$wrk_pid" 2>/dev/null; do sample_rss; sleep 0.5; done
        wait "$wrk_pid")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  if [ -n "$non2xx" ] && [ "$non2xx" != 0 ]; then
    echo "$1: $non2xx answers were not 2xx" >&2
    echo "$out" >&2
    exit 1
  fi
  printf '%s\t%s\t%s\t%s\n' "$1" "$rps" "$p50" "$p99" >>"$results"
  # A profile belongs to its route: the next one starts after it is written.
  if [ -n "${perf_pid:-}" ]; then wait "$perf_pid" || true; perf_pid=; fi
}

run_wrk "GET /healthz" "$public/healthz" healthz
run_wrk "GET /api/v1/payments/{id}" "$public/api/v1/payments/$payment_id" get_payment
run_wrk "GET /api/v1/order-activities/{id}" "$public/api/v1/order-activities/bench-order" get_activity
run_wrk "POST /api/v1/users/verify-token" "$public/api/v1/users/verify-token" verify_token
run_wrk "GET /api/v1/users/{id}/payments (20)" "$public/api/v1/users/bench-user/payments?limit=20" list_payments
run_wrk "POST /api/v1/payments" "$public/api/v1/payments" create_payment
run_wrk "POST /boxo/v1/order-payments" "$public/boxo/v1/order-payments" boxo_create
run_wrk "POST /boxo/v1/order-payments/status" "$public/boxo/v1/order-payments/status" boxo_status

# pgbench: the minimal SQL of the same work, in the same database, in the same run.
if [ "$backend" = postgres ]; then
  db_conn="$db_url"
  cat >"$work/read.sql" <<EOF
SELECT p.*, (SELECT json_agg(r ORDER BY r.position) FROM refunds r WHERE r.payment_id = p.id), (SELECT json_agg(e ORDER BY e.seq) FROM outbox_events e WHERE e.payment_id = p.id) FROM payments p WHERE p.id = '$payment_id';
EOF
  # The create ceiling writes the rows a miniapp's POST /api/v1/payments writes (the bench
  # app has no webhook, so no delivery): the payment, its item, its session and its
  # payment.created event, into hostpay's own tables (same indexes, same foreign keys), as
  # one statement (the cheapest SQL for that work), committed with the server's durability
  # (synchronous_commit on) like hostpay's.
  cat >"$work/create.sql" <<'EOF'
\set n random(1, 2000000000)
WITH p AS (INSERT INTO payments (id, app_id, channel, user_id, amount, currency, status, details, expires_at, created_at, updated_at, version) VALUES ('pay_' || :client_id || '_' || :n || '_' || txid_current(), 'app', 'miniapp', 'user', 12.50, 'USD', 'in_process', '{}', now() + interval '30 minutes', now(), now(), 0) RETURNING id),
     i AS (INSERT INTO payment_items (payment_id, position, product_name, quantity, price) SELECT p.id, 0, 'Pizza', 1, 12.50 FROM p),
     e AS (INSERT INTO outbox_events (id, kind, app_id, payment_id, occurred_at, data, targets) SELECT 'evt_' || p.id, 'payment.created', 'app', p.id, now(), '{}', '[]' FROM p)
INSERT INTO payment_sessions (token_hash, payment_id, created_at, expires_at) SELECT 'ps_' || p.id, p.id, now(), now() + interval '30 minutes' FROM p;
EOF
  pg_run() { # label file
    grep -Eq -- "${BENCH_ONLY:-.}" <<<"$1" || return 0
    log "pgbench ${duration}s: $1"
    local out tps lat
    out=$(pgbench -n -M prepared -c "$connections" -j "$threads" -T "$duration" -f "$work/$2.sql" "$db_conn" 2>&1)
    tps=$(awk '/^tps = / {print $3; exit}' <<<"$out")
    lat=$(awk '/latency average/ {print $4}' <<<"$out")
    printf '%s\t%s\t%s\t%s\n' "$1" "$tps" "$lat" "-" >>"$results"
  }
  pg_run "pgbench: read one payment with its refunds and events (1 statement)" read
  pg_run "pgbench: minimal durable create (payment + item + session + event, 1 statement)" create
fi
sample_rss

# The table, with ratios to the ceilings of this run.
table=$(python3 - "$results" "$backend" "$peak_rss_kb" <<'EOF'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
backend, rss_kb = sys.argv[2], int(sys.argv[3] or 0)
rps = {r[0]: float(r[1] or 0) for r in rows}
health = rps.get("GET /healthz", 0)
pg_read = next((v for k, v in rps.items() if k.startswith("pgbench: read")), None)
pg_create = next((v for k, v in rps.items() if k.startswith("pgbench: minimal")), None)
single = rps.get("GET /api/v1/payments/{id}", 0)
out = ["| route | req/s | p50 ms | p99 ms | ratio |", "|---|---|---|---|---|"]
for name, r, p50, p99 in rows:
    value = float(r or 0)
    if name.startswith("pgbench"):
        ratio = "ceiling"
    elif name == "GET /healthz":
        ratio = "ceiling (HTTP stack)"
    elif name.startswith("GET /api/v1/users/") and single:
        ratio = f"{single / value:.2f}x the cost of one read" if value else "-"
    elif backend == "postgres" and name == "POST /api/v1/payments" and pg_create:
        ratio = f"{value / pg_create:.2f} of pgbench create"
    elif backend == "postgres" and name.startswith("GET ") and pg_read:
        ratio = f"{value / pg_read:.2f} of pgbench read"
    elif health:
        ratio = f"{value / health:.2f} of /healthz"
    else:
        ratio = "-"
    out.append(f"| {name} | {value:,.0f} | {p50} | {p99} | {ratio} |")
out.append("")
out.append(f"Peak resident memory of hostpay during the run: {rss_kb / 1024:.0f} MB.")
print("\n".join(out))
EOF
)
echo
echo "$table"

if [ "$write_docs" = 1 ]; then
  stamp=$(date -u '+%Y-%m-%d %H:%M UTC')
  chart="docs/bench-$backend.svg"
  if command -v gnuplot >/dev/null 2>&1; then
    awk -F'\t' '$1 !~ /^pgbench/ {gsub(/ /, "_", $1); print $1, $2, ($4 == "-" ? 0 : $4)}' "$results" >"$work/plot.dat"
    gnuplot <<EOF
set terminal svg size 900,480 font "sans,10"
set output "$chart"
set title "hostpay on $backend: throughput and p99 per route ($stamp, wrk -t$threads -c$connections -d${duration}s)"
set style data histograms
set style fill solid 0.8
set boxwidth 0.8
set xtics rotate by -30 noenhanced
set ylabel "requests/s"
set y2label "p99 ms"
set y2tics
set ytics nomirror
plot "$work/plot.dat" using 2:xtic(1) title "req/s" axes x1y1, \
     "" using 0:3 with linespoints title "p99 ms" axes x1y2
EOF
  else
    log "gnuplot missing: no chart"
  fi
  python3 - docs/benchmarks.md "$backend" "$stamp" "$duration" "$connections" "$threads" "$table" "$chart" <<'EOF'
import sys
path, backend, stamp, duration, conns, threads, table, chart = sys.argv[1:9]
start, end = f"<!-- bench:{backend}:start -->", f"<!-- bench:{backend}:end -->"
block = (f"{start}\n### {backend} ({stamp})\n\n"
         f"`scripts/bench.sh {backend}`: release build, wrk -t{threads} -c{conns} -d{duration}s per route, "
         f"pgbench -c{conns} -j{threads} on the same machine in the same run.\n\n{table}\n\n"
         f"![throughput and p99 on {backend}]({chart.split('/', 1)[1]})\n{end}")
text = open(path).read()
if start in text and end in text:
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    text = before + block + after
else:
    text = text.rstrip("\n") + "\n\n## HTTP routes against their ceilings\n\n" + block + "\n"
open(path, "w").write(text)
EOF
  log "wrote docs/benchmarks.md and $chart"
fi
