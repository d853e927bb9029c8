#!/usr/bin/env bash
# Schemathesis (`st run --checks all`, every phase, stateful links on) against both
# listeners' /openapi.json, with real credentials, on a throwaway SQLite database.
# Exits non-zero on any failure.
#
#   - schemathesis comes from PyPI, pinned, into a virtualenv under cargo's target
#     directory (CARGO_TARGET_DIR and build.target-dir respected);
#   - hostpay runs with an admin token, Boxo client credentials and a rate limit high
#     enough that 429 (documented) never decides a result;
#   - a miniapp is registered through the internal API; its `Token base64(app_id:secret)`
#     authenticates the miniapp API, the Boxo credentials the Boxo host API (per security
#     scheme), the admin token the internal API;
#   - a payment whose webhook cannot be delivered is made first, so the internal run
#     finds a delivery to read and retry.
#
# Usage: scripts/schemathesis.sh   (needs cargo, curl and python3 with venv)
# Env:   SCHEMATHESIS_MAX_EXAMPLES (default 50), SCHEMATHESIS_SEED (default random),
#        SCHEMATHESIS_WORKERS (default 1: hypothesis describes strategies with
#        `ast.parse`, which CPython 3.11 does not do safely from several threads),
#        SCHEMATHESIS_REPORT_DIR (keeps the reports).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION="4.32.5"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
venv="$target_dir/schemathesis-venv"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 keeps venv (ensurepip) in its own package.
    command -v apt-get >/dev/null 2>&1 || fail "python3 -m venv does not work here"
    say "installing Debian's python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$venv/bin/st" --version

say "building hostpay (cargo build -p hostpay-app)"
cargo build -q -p hostpay-app
bin="$target_dir/debug/hostpay"
[ -x "$bin" ] || fail "cargo build succeeded but there is no $bin"

workdir="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
random_secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }
b64() { printf '%s' "$1" | python3 -c 'import base64, sys; print(base64.b64encode(sys.stdin.buffer.read()).decode())'; }

public_port="$(free_port)"
internal_port="$(free_port)"
while [ "$internal_port" = "$public_port" ]; do internal_port="$(free_port)"; done
public="http://127.0.0.1:$public_port"
internal="http://127.0.0.1:$internal_port"
admin_token="$(random_secret)"
boxo_client_id="schemathesis-boxo"
boxo_secret_key="$(random_secret)"

say "starting hostpay on $public (internal $internal), database $workdir/hostpay.db"
HOSTPAY__DATABASE__URL="sqlite://$workdir/hostpay.db" \
HOSTPAY__SERVER__BIND="127.0.0.1:$public_port" \
HOSTPAY__SERVER__PUBLIC_URL="$public" \
HOSTPAY__INTERNAL__BIND="127.0.0.1:$internal_port" \
HOSTPAY__INTERNAL__ADMIN_TOKEN="$admin_token" \
HOSTPAY__BOXO__CLIENT_ID="$boxo_client_id" \
HOSTPAY__BOXO__SECRET_KEY="$boxo_secret_key" \
HOSTPAY__RATE_LIMIT__PER_SECOND=100000 \
HOSTPAY__RATE_LIMIT__BURST=100000 \
HOSTPAY__SECURITY__HASH_KEY="$(random_secret)" \
HOSTPAY__LOG__FORMAT=json \
  "$bin" serve >"$workdir/hostpay.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 150); do
  if curl -fsS "$public/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/hostpay.log" >&2; fail "hostpay exited"; }
  sleep 0.2
done
curl -fsS "$public/readyz" >/dev/null || { cat "$workdir/hostpay.log" >&2; fail "hostpay is not ready"; }

# post URL BODY AUTH: prints the JSON answer's data; fails unless 2xx.
post() {
  curl -fsS -X POST "$1" -H 'Content-Type: application/json' -H "Authorization: $3" -d "$2" ||
    fail "POST $1 was refused"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

say "registering a miniapp (internal API)"
# The webhook goes to a port nothing listens on: its delivery stays pending, so the
# internal run has one to read and retry.
app="$(post "$internal/internal/v1/apps" \
  "{\"name\": \"schemathesis\", \"webhook_url\": \"http://127.0.0.1:9/hooks\"}" \
  "Bearer $admin_token")"
app_id="$(printf '%s' "$app" | field '["data"]["app_id"]')"
secret_key="$(printf '%s' "$app" | field '["data"]["secret_key"]')"
miniapp_token="Token $(b64 "$app_id:$secret_key")"
echo "miniapp $app_id"

say "a payment cancelled through its session, so a webhook delivery exists"
payment="$(post "$public/api/v1/payments" \
  '{"user_id": "schemathesis-user", "amount": "10.00", "currency": "USD"}' "$miniapp_token")"
payment_id="$(printf '%s' "$payment" | field '["data"]["id"]')"
session="$(printf '%s' "$payment" | field '["data"]["session"]["token"]')"
post "$public/checkout/$payment_id/cancel" '{}' "Bearer $session" >/dev/null
echo "payment $payment_id cancelled"
# The hooks link order activities to it (scripts/schemathesis_hooks.py).
export SCHEMATHESIS_PAYMENT_ID="$payment_id"
hooks="$PWD/scripts/schemathesis_hooks.py"

report_dir="${SCHEMATHESIS_REPORT_DIR:-$workdir/reports}"
mkdir -p "$report_dir"

# run NAME URL CONFIG: st run on one listener's document.
run() {
  local name="$1" url="$2" config="$3"
  say "schemathesis: $name listener ($url/openapi.json)"
  local seed_args=()
  if [ -n "${SCHEMATHESIS_SEED:-}" ]; then seed_args=(--seed "$SCHEMATHESIS_SEED"); fi
  "$venv/bin/st" --config-file "$config" run "$url/openapi.json" \
    --url "$url" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-50}" \
    --workers "${SCHEMATHESIS_WORKERS:-1}" \
    --request-timeout 30 \
    --report junit --report-dir "$report_dir/$name" \
    "${seed_args[@]}"
}

# Per-listener configuration: the credentials of each security scheme, and the hooks
# (scripts/schemathesis_hooks.py) for what no schema can say about data that depends on
# earlier requests.
cat >"$workdir/public.toml" <<EOF
hooks = "$hooks"

[cache]
directory = "$target_dir/schemathesis-cache"

[auth.openapi.miniapp_token]
api_key = "$miniapp_token"

[auth.openapi.boxo_client]
api_key = "Token $(b64 "$boxo_client_id:$boxo_secret_key")"

[auth.openapi.payment_session]
bearer = "$session"

[auth.openapi.pay_grant]
bearer = "$session"
EOF
cat >"$workdir/internal.toml" <<EOF
hooks = "$hooks"

[cache]
directory = "$target_dir/schemathesis-cache"

[auth.openapi.admin_token]
bearer = "$admin_token"
EOF

status=0
export SCHEMATHESIS_DROPPED_LOG="$workdir/dropped.tsv"
: >"$SCHEMATHESIS_DROPPED_LOG"
run public "$public" "$workdir/public.toml" || status=1
run internal "$internal" "$workdir/internal.toml" || status=1

if [ -s "$SCHEMATHESIS_DROPPED_LOG" ]; then
  say "failures the hooks dropped (documented Boxo and refund answers, see scripts/schemathesis_hooks.py):"
  sort "$SCHEMATHESIS_DROPPED_LOG" | uniq -c | sort -rn
fi

# hostpay's own ERROR lines mean something broke. (actix-http logs a request it cannot
# parse at all, such as schemathesis' probe with a NUL byte in a header, as an ERROR of
# its `actix_http::h1::dispatcher`: that is the client's fault, shown but not counted.)
errors="$(grep '"level":"ERROR"' "$workdir/hostpay.log" || true)"
if [ -n "$errors" ]; then
  say "ERROR lines hostpay logged during the runs:"
  printf '%s\n' "$errors" | head -20 >&2
  if printf '%s\n' "$errors" | grep -qv '"target":"actix_http::h1::dispatcher"'; then
    status=1
  fi
fi
if [ "$status" -ne 0 ]; then
  fail "schemathesis found failures (reports: $report_dir)"
fi
say "schemathesis: 0 failures on both listeners"
