#!/usr/bin/env bash
# Container entrypoint of the JIPPNas image: wait, for a bounded time, until the services the
# configuration points at answer, then run the command (default: `jippnas serve`).
#
# - JIPPNAS_ENGINE=opensearch: wait until JIPPNAS_OPENSEARCH_URL reports cluster health yellow
#   or green (the same client and URL as the app, so credentials and TLS in the URL count).
# - JIPPNAS_CATALOG_URL=postgresql…: wait until the catalog database accepts a query.
# - JIPPNAS_WAIT_TIMEOUT: seconds to wait for each (default 120); then the container exits 1
#   with one clear log line, and the restart policy tries again. JIPPNAS_WAIT=0 skips waiting.
#
# depends_on/service_healthy only orders the first start; after a host reboot or a restart of
# OpenSearch or PostgreSQL alone, this wait is what keeps the app from dying with a traceback.
set -euo pipefail

timeout_s="${JIPPNAS_WAIT_TIMEOUT:-120}"
interval_s=2

log() { printf '%s jippnas-entrypoint: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# One readiness probe, bounded by its own timeouts; prints why it failed.
probe() {
  python3 - "$1" <<'PY'
import os
import sys
import warnings

warnings.filterwarnings("ignore")
kind = sys.argv[1]
try:
    if kind == "opensearch":
        from opensearchpy import OpenSearch

        client = OpenSearch(hosts=[os.environ.get("JIPPNAS_OPENSEARCH_URL", "http://127.0.0.1:9200")],
                            timeout=10, max_retries=0)
        # Parameters in the path: opensearch-py takes a `timeout` argument for its own request timeout.
        health = client.transport.perform_request("GET", "/_cluster/health?wait_for_status=yellow&timeout=5s")
        if health.get("status") not in ("yellow", "green") or health.get("timed_out"):
            sys.exit(f"cluster status {health.get('status')}")
    elif kind == "postgresql":
        import sqlalchemy as sa

        engine = sa.create_engine(os.environ["JIPPNAS_CATALOG_URL"], connect_args={"connect_timeout": 5},
                                  poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
except Exception as exc:  # any failure means "not ready yet"; the reason goes to the log
    reason = " ".join(str(exc).split())[:300]
    sys.exit(f"{exc.__class__.__name__}: {reason}")
PY
}

# The address of a service without its password, for log lines.
where() {
  python3 -c 'import sys, sqlalchemy; print(sqlalchemy.engine.make_url(sys.argv[1]).render_as_string(hide_password=True))' \
    "$1" 2>/dev/null || echo "(unparsable URL)"
}

wait_for() {  # kind, human name, address
  local kind="$1" name="$2" address="$3" start=$SECONDS reason="" attempts=0
  if reason="$(probe "$kind" 2>&1)"; then
    log "$name at $address is ready"
    return 0
  fi
  log "waiting for $name at $address (at most ${timeout_s}s): $reason"
  while :; do
    attempts=$((attempts + 1))
    if (( SECONDS - start >= timeout_s )); then
      log "giving up: $name at $address not ready after ${timeout_s}s ($attempts attempts; last error: $reason)"
      exit 1
    fi
    sleep "$interval_s"
    if reason="$(probe "$kind" 2>&1)"; then
      log "$name at $address is ready after $((SECONDS - start))s"
      return 0
    fi
  done
}

if [ "${JIPPNAS_WAIT:-1}" != 0 ]; then
  if [ "${JIPPNAS_ENGINE:-embedded}" = opensearch ]; then
    url="${JIPPNAS_OPENSEARCH_URL:-http://127.0.0.1:9200}"
    wait_for opensearch OpenSearch "$(where "$url")"
  fi
  case "${JIPPNAS_CATALOG_URL:-}" in
    postgresql*) wait_for postgresql "the PostgreSQL catalog" "$(where "$JIPPNAS_CATALOG_URL")" ;;
  esac
fi

exec "$@"
