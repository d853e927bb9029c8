#!/usr/bin/env bash
# The Boxo conformance simulator against a hostpay this script starts (throwaway SQLite,
# HMAC-SHA256 signing verified both ways): `hostpay simulate boxo` must pass every check
# (exit 0). Then the same simulator against a hostpay with another signing secret must
# fail (exit non-zero). Always stops the servers.
#
# Usage: scripts/simulate-boxo.sh        (needs cargo and python3)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

say "building hostpay (cargo build -p hostpay-app)"
cargo build -q -p hostpay-app
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/debug/hostpay"
[ -x "$bin" ] || fail "cargo build succeeded but there is no $bin"

workdir="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$workdir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
random_secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }

admin_token="$(random_secret)"
client_id="simulated-host"
secret_key="$(random_secret)"
signing_secret="$(random_secret)"

# start_host NAME SIGNING_SECRET LISTEN_PORT: starts hostpay; sets $public and $internal.
start_host() {
  local name="$1" secret="$2" listen="$3" public_port internal_port
  public_port="$(free_port)"
  internal_port="$(free_port)"
  public="http://127.0.0.1:$public_port"
  internal="http://127.0.0.1:$internal_port"
  HOSTPAY__DATABASE__URL="sqlite://$workdir/$name.db" \
  HOSTPAY__SERVER__BIND="127.0.0.1:$public_port" \
  HOSTPAY__SERVER__PUBLIC_URL="$public" \
  HOSTPAY__INTERNAL__BIND="127.0.0.1:$internal_port" \
  HOSTPAY__INTERNAL__ADMIN_TOKEN="$admin_token" \
  HOSTPAY__SECURITY__HASH_KEY="$(random_secret)" \
  HOSTPAY__BOXO__CLIENT_ID="$client_id" \
  HOSTPAY__BOXO__SECRET_KEY="$secret_key" \
  HOSTPAY__BOXO__PLATFORM_URL="http://127.0.0.1:$listen" \
  HOSTPAY__BOXO__SIGNING__SECRET="$secret" \
  HOSTPAY__BOXO__SIGNING__VERIFY_INCOMING=true \
  HOSTPAY__LOG__FORMAT=json \
    "$bin" serve >"$workdir/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$public/readyz" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  cat "$workdir/$name.log" >&2
  fail "hostpay ($name) is not ready"
}

# The simulator's configuration: the host's Boxo settings, in hostpay's file format.
cat >"$workdir/simulator.toml" <<TOML
[internal]
admin_token = "$admin_token"

[boxo]
client_id = "$client_id"
secret_key = "$secret_key"

[boxo.signing]
secret = "$signing_secret"
verify_incoming = true
TOML

simulate() {
  "$bin" --config "$workdir/simulator.toml" simulate boxo \
    --target "$public" --internal-url "$internal" \
    --listen "127.0.0.1:$1" --wait-seconds 30
}

listen="$(free_port)"
say "hostpay simulate boxo against a correctly configured hostpay (every check must pass)"
start_host good "$signing_secret" "$listen"
simulate "$listen" || { cat "$workdir/good.log" >&2; fail "the simulator failed against hostpay"; }

listen="$(free_port)"
say "hostpay simulate boxo against a hostpay with another signing secret (must fail)"
start_host wrong "$(random_secret)" "$listen"
if simulate "$listen"; then
  fail "the simulator passed against a misconfigured hostpay"
fi
echo "the misconfigured hostpay was caught (non-zero exit), as expected"
