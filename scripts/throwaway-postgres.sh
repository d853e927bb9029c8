#!/usr/bin/env bash
# Sourced by scripts/test.sh when no PostgreSQL answers on 127.0.0.1:5432: starts a
# private server (initdb in a temporary folder, trust auth, port 55432, run as the
# postgres user) and exports HOSTPAY_TEST_PG_URL. Installs Debian's postgresql when
# initdb is missing.

throwaway_postgres_start() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "installing Debian's postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
  THROWAWAY_PG_DIR=$(mktemp -d /tmp/hostpay-pg.XXXXXX)
  chown postgres "$THROWAWAY_PG_DIR"
  runuser -u postgres -- "$bindir/initdb" -D "$THROWAWAY_PG_DIR/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$bindir/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -l "$THROWAWAY_PG_DIR/log" \
    -o "-p 55432 -k $THROWAWAY_PG_DIR -c listen_addresses=127.0.0.1" -w start >/dev/null
  THROWAWAY_PG_BIN=$bindir
  export THROWAWAY_PG_DIR THROWAWAY_PG_BIN
  export HOSTPAY_TEST_PG_URL="postgres://postgres@127.0.0.1:55432/postgres"
  echo "throwaway PostgreSQL on 127.0.0.1:55432 ($THROWAWAY_PG_DIR)" >&2
}

throwaway_postgres_stop() {
  if [ -n "${THROWAWAY_PG_DIR:-}" ]; then
    runuser -u postgres -- "$THROWAWAY_PG_BIN/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$THROWAWAY_PG_DIR"
  fi
}
