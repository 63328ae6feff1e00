#!/usr/bin/env bash
# Run a throw-away PostgreSQL server on loopback for the catalog tests, from Debian's packages.
#
#   scripts/postgres.sh start    # install (apt) if missing, initdb once, start, wait until ready
#   scripts/postgres.sh stop
#   scripts/postgres.sh url      # print the admin URL tests take as JIPPNAS_TEST_POSTGRES_URL
#
# Knobs: POSTGRES_PORT (default 55432, away from a system server on 5432),
#        POSTGRES_HOME_DIR (default /var/tmp/jippnas-postgres). Trust authentication on
#        127.0.0.1 only: it is a test server, never a deployment.
set -euo pipefail

PORT="${POSTGRES_PORT:-55432}"
BASE="${POSTGRES_HOME_DIR:-/var/tmp/jippnas-postgres}"
DATA="$BASE/data"
LOG="$BASE/server.log"

log() { printf '[postgres.sh] %s\n' "$*" >&2; }

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

install() {
  if [ -z "$(bindir)" ]; then
    log "installing postgresql from Debian's packages"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

# The server refuses to run as root: run it as the postgres user Debian's package creates.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  install
  local bin; bin=$(bindir)
  mkdir -p "$BASE"
  [ "$(id -u)" = 0 ] && chown postgres: "$BASE"
  if [ ! -s "$DATA/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    log "already running on port $PORT"
  else
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$BASE -c fsync=off" start >/dev/null
    log "started on 127.0.0.1:$PORT"
  fi
  "$bin/pg_isready" -h 127.0.0.1 -p "$PORT" -t 30 >/dev/null
}

stop() {
  local bin; bin=$(bindir) || return 0
  [ -s "$DATA/PG_VERSION" ] || return 0
  as_owner "$bin/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
