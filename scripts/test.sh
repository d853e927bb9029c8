#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: every crate's tests, the PostgreSQL
# suites, the headless-browser checkout test and the demo script.
#
# PostgreSQL: uses the server on 127.0.0.1:5432 when one answers; otherwise starts a
# throwaway one (Debian's postgresql package, installed when missing) in a temporary
# folder and stops it afterwards. PostgreSQL tests never skip: they fail when
# HOSTPAY_TEST_PG_URL cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

pg_answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if [ -z "${HOSTPAY_TEST_PG_URL:-}" ]; then
  if pg_answers 127.0.0.1 5432; then
    export HOSTPAY_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
    log "PostgreSQL answers on 127.0.0.1:5432"
  else
    log "no PostgreSQL on 127.0.0.1:5432: starting a throwaway one"
    # shellcheck source=scripts/throwaway-postgres.sh
    source scripts/throwaway-postgres.sh
    throwaway_postgres_start
    trap throwaway_postgres_stop EXIT
  fi
fi
# The browser test (crates/http/tests/checkout_browser.rs) drives /usr/bin/chromium through
# chromedriver. When chromedriver is missing, Debian's chromium and chromium-driver are
# installed, unless HOSTPAY_REQUIRE_BROWSER=0: then nothing is installed, and the browser
# test still runs and FAILS (it never skips) unless chromedriver is provided otherwise.
export HOSTPAY_REQUIRE_BROWSER="${HOSTPAY_REQUIRE_BROWSER:-1}"

if ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$HOSTPAY_REQUIRE_BROWSER" = 1 ]; then
    log "installing Debian's chromium and chromium-driver for the browser test"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    printf '\n\033[1;31m==> WARNING: HOSTPAY_REQUIRE_BROWSER=%s and no chromedriver on PATH: not\n' \
      "$HOSTPAY_REQUIRE_BROWSER" >&2
    printf '    installing chromium; the browser checkout test (crates/http/tests/checkout_browser.rs)\n' >&2
    printf '    will FAIL ("cannot start chromedriver"), so this run will fail.\033[0m\n' >&2
  fi
fi

log "cargo test --workspace"
cargo test --workspace --all-targets

# Schemathesis against both listeners' /openapi.json (fails on any finding).
log "scripts/schemathesis.sh"
scripts/schemathesis.sh

# The benchmark script, 2 s per route on a debug build: keeps it working (figures come from
# full release runs, docs/benchmarks.md).
log "scripts/bench.sh sqlite and postgres (2 s per route, debug build)"
BENCH_DURATION=2 BENCH_WRITE=0 BENCH_PROFILE=debug scripts/bench.sh sqlite
BENCH_DURATION=2 BENCH_WRITE=0 BENCH_PROFILE=debug BENCH_PG_URL="$HOSTPAY_TEST_PG_URL" \
  scripts/bench.sh postgres

if [ -x scripts/demo.sh ]; then
  log "scripts/demo.sh"
  scripts/demo.sh
fi

if [ -x scripts/check-deploy.sh ]; then
  log "scripts/check-deploy.sh"
  scripts/check-deploy.sh
fi
