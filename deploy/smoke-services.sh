#!/usr/bin/env bash
# Smoke test of the image against real services, on the host's loopback only (containers use
# the host's network namespace, so 127.0.0.1 inside is the host's loopback):
#   1. the entrypoint gives up on an unreachable OpenSearch within JIPPNAS_WAIT_TIMEOUT, with
#      one clear log line and exit 1 (no traceback)
#   2. the server started before its PostgreSQL catalog waits for it (log line), comes up once
#      a PostgreSQL server (Debian's, scripts/postgres.sh) starts, and serves a catalog
#      imported into PostgreSQL by a one-off `jippnas index` container
#   3. with SMOKE_OPENSEARCH_URL set to a node on loopback (e.g. `make opensearch`): index and
#      search on the OpenSearch engine under a throw-away alias, dropped afterwards
# Run deploy/smoke.sh first (it builds the image). Every step is bounded in time; everything
# started here is stopped and removed at the end.
#
#   deploy/smoke-services.sh
#   SMOKE_OPENSEARCH_URL=http://127.0.0.1:9200 deploy/smoke-services.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
IMAGE="${SMOKE_IMAGE:-jippnas-search:smoke}"
CONTAINER_CLI="${CONTAINER_CLI:-podman}"
PORT="${SMOKE_PORT:-18081}"
PG_PORT="${SMOKE_PG_PORT:-55439}"
DEAD_PORT="${SMOKE_DEAD_PORT:-19299}"   # nothing listens there
NAME="jippnas-smoke-svc-$$"
CACHE_VOL="$NAME-cache"
DATA_VOL="$NAME-data"
PG_HOME="/var/tmp/$NAME-pg"
PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
OS_ALIAS="jippnas-smoke-$$"
SAMPLE_PART=/opt/jippnas/sample/iga.csv   # 26 records: enough, and quick to embed

log() { printf '[smoke-services %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
cli() { "$CONTAINER_CLI" "$@"; }

run_flags=(--network host --no-healthcheck --read-only --tmpfs /tmp --cap-drop ALL
           --security-opt no-new-privileges)
if [ "$CONTAINER_CLI" = podman ]; then
  nofile="$(ulimit -Hn)"; { [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; } && nofile=65536
  run_flags+=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
fi
cli image inspect "$IMAGE" >/dev/null 2>&1 || die "no image $IMAGE: run deploy/smoke.sh first"
for p in "$PORT" "$PG_PORT" "$DEAD_PORT"; do
  ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || die "port $p on 127.0.0.1 is in use: set SMOKE_*PORT"
done

pg_started=0
cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && cli inspect "$NAME" >/dev/null 2>&1; then
    log "last log lines of $NAME:"; timeout 20 "$CONTAINER_CLI" logs --tail 30 "$NAME" >&2
  fi
  timeout 60 "$CONTAINER_CLI" rm -f "$NAME" >/dev/null 2>&1
  if [ -n "${SMOKE_OPENSEARCH_URL:-}" ]; then
    timeout 30 curl -fsS -m 20 -X DELETE "$SMOKE_OPENSEARCH_URL/$OS_ALIAS-*" >/dev/null 2>&1
  fi
  if [ "$pg_started" = 1 ]; then
    POSTGRES_PORT="$PG_PORT" POSTGRES_HOME_DIR="$PG_HOME" timeout 60 bash "$repo/scripts/postgres.sh" stop
    rm -rf --one-file-system "$PG_HOME"
  fi
  timeout 60 "$CONTAINER_CLI" volume rm -f "$CACHE_VOL" "$DATA_VOL" >/dev/null 2>&1
  [ "$rc" = 0 ] && log "cleaned up"
  exit "$rc"
}
trap cleanup EXIT
timeout 30 "$CONTAINER_CLI" volume create "$CACHE_VOL" >/dev/null
timeout 30 "$CONTAINER_CLI" volume create "$DATA_VOL" >/dev/null
vols=(-v "$DATA_VOL:/data" -v "$CACHE_VOL:/cache")
start=$SECONDS

# ------------------------------------------------------------------ 1. OpenSearch never comes
log "1. OpenSearch unreachable (127.0.0.1:$DEAD_PORT), JIPPNAS_WAIT_TIMEOUT=6"
t0=$SECONDS
set +e
out="$(timeout 60 "$CONTAINER_CLI" run --rm "${run_flags[@]}" "${vols[@]}" \
        -e JIPPNAS_ENGINE=opensearch -e "JIPPNAS_OPENSEARCH_URL=http://127.0.0.1:$DEAD_PORT" \
        -e JIPPNAS_WAIT_TIMEOUT=6 "$IMAGE" 2>&1)"
rc=$?
set -e
printf '    %s\n' "${out//$'\n'/$'\n'    }" >&2
[ "$rc" = 1 ] || die "expected exit 1, got $rc"
grep -q "giving up: OpenSearch at http://127.0.0.1:$DEAD_PORT not ready after 6s" <<<"$out" \
  || die "no clear giving-up line"
! grep -q Traceback <<<"$out" || die "a traceback was printed"
log "   exit 1 after $((SECONDS - t0))s, one clear line, no traceback"

# ------------------------------------------------------------------ 2. PostgreSQL comes late
log "2. server started before its PostgreSQL catalog (127.0.0.1:$PG_PORT)"
timeout 60 "$CONTAINER_CLI" run -d --name "$NAME" "${run_flags[@]}" "${vols[@]}" \
  -e "JIPPNAS_CATALOG_URL=$PG_URL" -e JIPPNAS_WAIT_TIMEOUT=120 \
  "$IMAGE" jippnas serve --host 127.0.0.1 --port "$PORT" >/dev/null
deadline=$((SECONDS + 30))
until cli logs "$NAME" 2>&1 | grep -q "waiting for the PostgreSQL catalog"; do
  (( SECONDS < deadline )) || die "no waiting line"
  sleep 1
done
log "   container logs: $(cli logs "$NAME" 2>&1 | grep jippnas-entrypoint | tail -n 1)"
sleep 5
cli inspect --format '{{.State.Running}}' "$NAME" | grep -q true || die "the container died while waiting"
log "   starting PostgreSQL (Debian's, scripts/postgres.sh)"
pg_started=1
POSTGRES_PORT="$PG_PORT" POSTGRES_HOME_DIR="$PG_HOME" timeout 180 bash "$repo/scripts/postgres.sh" start
deadline=$((SECONDS + 60))
# Any HTTP answer: with an empty data volume /healthz says 503 (no index yet) until the import.
until [ "$(curl -sS -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" 2>/dev/null)" != 000 ]; do
  (( SECONDS < deadline )) || die "the server did not come up after PostgreSQL started"
  sleep 1
done
log "   container logs: $(cli logs "$NAME" 2>&1 | grep jippnas-entrypoint | tail -n 1)"
log "   before the import: GET /healthz → $(curl -sS -m 10 "http://127.0.0.1:$PORT/healthz")"
log "   one-off import of $SAMPLE_PART into the PostgreSQL catalog"
timeout 300 "$CONTAINER_CLI" run --rm "${run_flags[@]}" "${vols[@]}" -e "JIPPNAS_CATALOG_URL=$PG_URL" \
  "$IMAGE" jippnas index --quiet "$SAMPLE_PART" 2>&1 | grep -v jippnas-entrypoint | sed 's/^/    /' >&2
count="$(timeout 30 "$CONTAINER_CLI" run --rm "${run_flags[@]}" -e "JIPPNAS_CATALOG_URL=$PG_URL" -e JIPPNAS_WAIT=0 \
  "$IMAGE" python3 -c '
import os, sqlalchemy as sa
e = sa.create_engine(os.environ["JIPPNAS_CATALOG_URL"])
with e.connect() as c:
    print(c.execute(sa.text("select count(*) from entries")).scalar(), c.execute(sa.text("select version_num from alembic_version")).scalar())')"
log "   PostgreSQL catalog: entries, migration = $count"
[ "${count%% *}" = 26 ] || die "expected 26 entries in the PostgreSQL catalog"
health="$(curl -fsS -m 10 "http://127.0.0.1:$PORT/healthz")"
log "   GET /healthz → $health"
curl -fsS -m 60 "http://127.0.0.1:$PORT/api/v1/search?q=pelayanan" | python3 -c '
import json, sys; d = json.load(sys.stdin); print("    GET /api/v1/search?q=pelayanan → total", d["total"], file=sys.stderr); sys.exit(d["total"] == 0)' \
  || die "no search results"
timeout 60 "$CONTAINER_CLI" rm -f "$NAME" >/dev/null

# ------------------------------------------------------------------ 3. a real OpenSearch node
if [ -n "${SMOKE_OPENSEARCH_URL:-}" ]; then
  log "3. OpenSearch engine at $SMOKE_OPENSEARCH_URL, alias $OS_ALIAS"
  os_env=(-e JIPPNAS_ENGINE=opensearch -e "JIPPNAS_OPENSEARCH_URL=$SMOKE_OPENSEARCH_URL"
          -e "JIPPNAS_OPENSEARCH_INDEX=$OS_ALIAS")
  timeout 300 "$CONTAINER_CLI" run --rm "${run_flags[@]}" "${vols[@]}" "${os_env[@]}" \
    "$IMAGE" jippnas index --quiet "$SAMPLE_PART" 2>&1 | sed 's/^/    /' >&2
  timeout 60 "$CONTAINER_CLI" run -d --name "$NAME" "${run_flags[@]}" "${vols[@]}" "${os_env[@]}" \
    "$IMAGE" jippnas serve --host 127.0.0.1 --port "$PORT" >/dev/null
  deadline=$((SECONDS + 60))
  until curl -fsS -m 3 "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || die "the OpenSearch-engine server did not come up"
    sleep 1
  done
  log "   GET /healthz → $(curl -fsS -m 10 "http://127.0.0.1:$PORT/healthz")"
  curl -fsS -m 60 "http://127.0.0.1:$PORT/api/v1/search?q=pelayanan" | python3 -c '
import json, sys; d = json.load(sys.stdin); print("    GET /api/v1/search?q=pelayanan → total", d["total"], file=sys.stderr); sys.exit(d["total"] == 0)' \
    || die "no search results on OpenSearch"
else
  log "3. skipped (set SMOKE_OPENSEARCH_URL to a node on loopback)"
fi

log "PASSED in $((SECONDS - start))s"
