#!/usr/bin/env bash
# Sourced by scripts/test.sh when no PostgreSQL answers on 127.0.0.1:5432: starts a
# private server (initdb in a temporary folder, trust auth, 127.0.0.1 only, port 55432 or
# the next free one) and exports HOSTPAY_TEST_PG_URL. Installs Debian's postgresql when
# initdb is missing. Run as root, the server runs as the `postgres` user (initdb refuses
# root); otherwise as the current user. Safe under `set -euo pipefail`.
#
#   source scripts/throwaway-postgres.sh
#   throwaway_postgres_start        # exports HOSTPAY_TEST_PG_URL
#   trap throwaway_postgres_stop EXIT

throwaway_postgres_bindir() {
  # `|| true`: no match is an answer here, not a failure of the caller's `set -e`.
  { ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -n 1
}

throwaway_postgres_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

throwaway_postgres_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

throwaway_postgres_start() {
  local bindir port
  bindir=$(throwaway_postgres_bindir)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "installing Debian's postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bindir=$(throwaway_postgres_bindir)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
      echo "throwaway PostgreSQL: no initdb after installing postgresql" >&2
      return 1
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home /var/lib/postgresql postgres
  fi
  port=${THROWAWAY_PG_PORT:-55432}
  while ! throwaway_postgres_port_free "$port"; do
    port=$((port + 1))
  done
  THROWAWAY_PG_DIR=$(mktemp -d /tmp/hostpay-pg.XXXXXX)
  THROWAWAY_PG_BIN=$bindir
  export THROWAWAY_PG_DIR THROWAWAY_PG_BIN
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$THROWAWAY_PG_DIR"
  fi
  throwaway_postgres_as_owner "$bindir/initdb" -D "$THROWAWAY_PG_DIR/data" -A trust -U postgres \
    >"$THROWAWAY_PG_DIR/initdb.log" 2>&1 || {
    cat "$THROWAWAY_PG_DIR/initdb.log" >&2
    return 1
  }
  throwaway_postgres_as_owner "$bindir/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -l "$THROWAWAY_PG_DIR/log" \
    -o "-p $port -k $THROWAWAY_PG_DIR -c listen_addresses=127.0.0.1" -w start >/dev/null || {
    cat "$THROWAWAY_PG_DIR/log" >&2
    return 1
  }
  export HOSTPAY_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "throwaway PostgreSQL on 127.0.0.1:$port ($THROWAWAY_PG_DIR)" >&2
}

throwaway_postgres_stop() {
  if [ -n "${THROWAWAY_PG_DIR:-}" ] && [ -d "$THROWAWAY_PG_DIR" ]; then
    throwaway_postgres_as_owner "$THROWAWAY_PG_BIN/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -m fast -w stop \
      >/dev/null 2>&1 || true
    rm -rf "$THROWAWAY_PG_DIR"
    unset THROWAWAY_PG_DIR
  fi
}
