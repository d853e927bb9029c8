#!/usr/bin/env bash
# The whole hostpay flow in one command, on a throwaway SQLite database:
# start hostpay, register a miniapp, mint a user token, verify it, create a payment,
# show that its session can only view it (confirm with the session token is 403), mint a
# pay grant for its user as the host would, confirm with the grant (sandbox processor),
# refund it, and print every response. Exits non-zero at the first unexpected answer;
# always stops the server.
#
# Usage: scripts/demo.sh        (needs cargo, curl and python3)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

say "building hostpay (cargo build -p hostpay-app)"
cargo build -q -p hostpay-app
# Where cargo put it: target/ by default, elsewhere under CARGO_TARGET_DIR or build.target-dir.
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
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

public_port="$(free_port)"
internal_port="$(free_port)"
while [ "$internal_port" = "$public_port" ]; do internal_port="$(free_port)"; done
public="http://127.0.0.1:$public_port"
internal="http://127.0.0.1:$internal_port"
admin_token="$(random_secret)"

say "starting hostpay on $public (internal $internal), database $workdir/demo.db"
HOSTPAY__DATABASE__URL="sqlite://$workdir/demo.db" \
HOSTPAY__SERVER__BIND="127.0.0.1:$public_port" \
HOSTPAY__SERVER__PUBLIC_URL="$public" \
HOSTPAY__INTERNAL__BIND="127.0.0.1:$internal_port" \
HOSTPAY__INTERNAL__ADMIN_TOKEN="$admin_token" \
HOSTPAY__SECURITY__HASH_KEY="$(random_secret)" \
HOSTPAY__LOG__FORMAT=json \
  "$bin" serve >"$workdir/hostpay.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "$public/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/hostpay.log" >&2; fail "hostpay exited"; }
  sleep 0.2
done
curl -fsS "$public/readyz" >/dev/null || { cat "$workdir/hostpay.log" >&2; fail "hostpay is not ready"; }
echo "ready: $(curl -fsS "$public/readyz")"

# call EXPECTED_STATUS METHOD URL [curl args...]: prints the body, keeps it in $body.
call() {
  local expected="$1" method="$2" url="$3"
  shift 3
  local response status
  response="$(curl -sS -X "$method" -w '\n%{http_code}' "$url" "$@")" || fail "$method $url: no answer"
  status="${response##*$'\n'}"
  body="${response%$'\n'*}"
  echo "$method $url -> HTTP $status"
  printf '%s' "$body" | python3 -m json.tool 2>/dev/null || printf '%s\n' "$body" | head -c 2000
  [ "$status" = "$expected" ] || fail "$method $url answered $status, expected $expected"
}
json() { printf '%s' "$body" | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }

say "1. register a miniapp (internal API)"
call 201 POST "$internal/internal/v1/apps" \
  -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
  -d '{"name": "Demo Coffee"}'
app_id="$(json '["data"]["app_id"]')"
secret_key="$(json '["data"]["secret_key"]')"
app_auth="Token $(printf '%s:%s' "$app_id" "$secret_key" | base64 -w0)"

say "2. mint a user token for user-42 (internal API; what ft.getUserToken() returns)"
call 201 POST "$internal/internal/v1/user-tokens" \
  -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
  -d "{\"user_id\": \"user-42\", \"app_id\": \"$app_id\"}"
user_token="$(json '["data"]["token"]')"

say "3. the miniapp backend verifies the token"
call 200 POST "$public/api/v1/users/verify-token" \
  -H "Authorization: $app_auth" -H "miniapp-user-token: $user_token"
[ "$(json '["data"]["id"]')" = "user-42" ] || fail "verify-token named another user"

say "4. the miniapp backend creates a payment"
call 201 POST "$public/api/v1/payments" \
  -H "Authorization: $app_auth" -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-order-1' \
  -d '{"user_id": "user-42", "amount": "12.50", "currency": "USD", "description": "Two flat whites",
       "miniapp_order_id": "order-1",
       "items": [{"product_name": "Flat white", "quantity": 2, "price": "6.25"}]}'
payment_id="$(json '["data"]["id"]')"
session_token="$(json '["data"]["session"]["token"]')"
checkout_url="$(json '["data"]["session"]["checkout_url"]')"
[ "$(json '["data"]["status"]')" = "in_process" ] || fail "new payment is not in_process"

say "5. the session's checkout URL (what the miniapp holds: the sheet read-only, no Pay button)"
echo "$checkout_url"
sheet_status="$(curl -sS -o "$workdir/sheet.html" -w '%{http_code}' "$checkout_url")"
echo "GET checkout page (session) -> HTTP $sheet_status ($(wc -c <"$workdir/sheet.html") bytes of HTML)"
[ "$sheet_status" = 200 ] || fail "the checkout page answered $sheet_status"
grep -q 'id="read-only"' "$workdir/sheet.html" || fail "the session's sheet is not read-only"
if grep -q 'id="pay"' "$workdir/sheet.html"; then fail "the session's sheet offers a Pay button"; fi
grep -o 'To pay, open this payment in the app you are signed in to.' "$workdir/sheet.html"

say "6. the session token cannot pay: confirm with it is 403 FORBIDDEN and charges nothing"
call 403 POST "$public/checkout/$payment_id/confirm" -H "Authorization: Bearer $session_token"
[ "$(json '["error"]["code"]')" = "FORBIDDEN" ] || fail "confirm with the session token is not FORBIDDEN"
call 200 GET "$public/api/v1/payments/$payment_id" -H "Authorization: $app_auth"
[ "$(json '["data"]["status"]')" = "in_process" ] || fail "the refused confirm changed the payment"

say "7. the host backend (it knows the logged-in user) mints a pay grant for user-42 (internal API)"
call 201 POST "$internal/internal/v1/payments/$payment_id/grants" \
  -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
  -d '{"user_id": "user-42"}'
grant="$(json '["data"]["grant"]')"
grant_url="$(json '["data"]["checkout_url"]')"
case "$grant" in pg_*) ;; *) fail "the grant is not a pg_ token: $grant" ;; esac
[ "$grant_url" = "$public/checkout/$payment_id?grant=$grant" ] || fail "unexpected grant checkout_url $grant_url"

say "8. the host app's webview opens the grant's sheet (Pay / Cancel / Simulate decline)"
echo "$grant_url"
sheet_status="$(curl -sS -o "$workdir/grant-sheet.html" -w '%{http_code}' "$grant_url")"
echo "GET checkout page (grant) -> HTTP $sheet_status ($(wc -c <"$workdir/grant-sheet.html") bytes of HTML)"
[ "$sheet_status" = 200 ] || fail "the grant's checkout page answered $sheet_status"
grep -o '<button[^>]*id="pay"[^>]*>[^<]*</button>' "$workdir/grant-sheet.html" || fail "the grant's sheet has no Pay button"

say "9. the user pays (checkout confirm with the grant, sandbox processor)"
call 200 POST "$public/checkout/$payment_id/confirm" -H "Authorization: Bearer $grant"
[ "$(json '["data"]["status"]')" = "paid" ] || fail "the payment is not paid"

say "10. the miniapp backend refunds it"
call 201 POST "$public/api/v1/payments/$payment_id/refunds" \
  -H "Authorization: $app_auth" -H 'Content-Type: application/json' \
  -d '{"reason": "customer changed their mind"}'

say "11. the payment now"
call 200 GET "$public/api/v1/payments/$payment_id" -H "Authorization: $app_auth"
[ "$(json '["data"]["status"]')" = "refunded" ] || fail "the payment is not refunded"

say "stopping hostpay"
kill -TERM "$server_pid"
wait "$server_pid" || fail "hostpay did not stop cleanly"
server_pid=""
say "demo complete: registered $app_id, paid $payment_id with a pay grant, refunded it"
