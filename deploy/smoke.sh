#!/usr/bin/env bash
# Smoke test of the app image, for real, on this machine (loopback only):
#   1. build the image from the Dockerfile (the base image too, if it is missing)
#   2. inside the image: the install is not editable and every file of the packages, the
#      bundled sample, the catalog migrations and the OpenSearch mappings are installed
#   3. index the bundled sample inside a container, onto a data volume and a cache volume
#   4. serve it (the image's default command) with a read-only root filesystem, no
#      capabilities and no-new-privileges, published on 127.0.0.1 only
#   5. /healthz, /api/v1/search?q=stunting, /, /opensearch.xml; the server runs as non-root;
#      the image's health check passes
#   6. the volumes work: a restarted container still serves the index, and indexing into a
#      fresh data volume with the same cache volume embeds nothing again
#   7. stop and remove the containers and volumes (the image is kept; SMOKE_KEEP_IMAGE=0 removes it)
#
#   deploy/smoke.sh            # as root, with podman (or CONTAINER_CLI=docker)
#
# Knobs: CONTAINER_CLI, SMOKE_IMAGE (default jippnas-search:smoke), SMOKE_PORT (18080),
#        BASE_IMAGE (jippnas-base:bookworm), SRC (the source tree, default this repository),
#        PIP_CERT (an extra CA bundle for pip behind an HTTPS-intercepting proxy: passed as a
#        build secret), SMOKE_KEEP_IMAGE (1). Every step is bounded in time.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "${SRC:-$here/..}" && pwd)"
IMAGE="${SMOKE_IMAGE:-jippnas-search:smoke}"
PORT="${SMOKE_PORT:-18080}"
BASE_IMAGE="${BASE_IMAGE:-jippnas-base:bookworm}"
KEEP_IMAGE="${SMOKE_KEEP_IMAGE:-1}"
NAME="jippnas-smoke-$$"
DATA_VOL="$NAME-data"
CACHE_VOL="$NAME-cache"
DATA2_VOL="$NAME-data2"
BASE_URL="http://127.0.0.1:$PORT"

log() { printf '[smoke %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

if [ -z "${CONTAINER_CLI:-}" ]; then
  if command -v podman >/dev/null; then CONTAINER_CLI=podman
  elif command -v docker >/dev/null; then CONTAINER_CLI=docker
  else die "no container runtime (apt-get install -y podman runc)"; fi
fi
cli() { "$CONTAINER_CLI" "$@"; }
command -v curl >/dev/null || die "curl is missing"

# Podman asks for rlimits above the caller's hard limits unless told; without CAP_SYS_RESOURCE
# runc then fails ("error setting rlimit type 7"). Docker keeps the daemon's limits.
run_flags=()
build_flags=()
if [ "$CONTAINER_CLI" = podman ]; then
  nofile="$(ulimit -Hn)"; { [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; } && nofile=65536
  run_flags=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
  build_flags=("${run_flags[@]}" --format docker)   # docker format keeps HEALTHCHECK
else
  export DOCKER_BUILDKIT=1
fi
if [ -n "${PIP_CERT:-}" ] && [ -s "$PIP_CERT" ]; then
  build_flags+=(--secret "id=pip_cert,src=$PIP_CERT")
fi

declare -a timings=()
step_start=0
begin() { step_start=$SECONDS; log "$*"; }
done_step() { timings+=("$(printf '%-58s %4ss' "$1" "$((SECONDS - step_start))")"); }

cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && cli inspect "$NAME" >/dev/null 2>&1; then
    log "last log lines of $NAME:"; timeout 20 "$CONTAINER_CLI" logs --tail 30 "$NAME" >&2
  fi
  timeout 60 "$CONTAINER_CLI" rm -f -t 5 "$NAME" >/dev/null 2>&1 || timeout 60 "$CONTAINER_CLI" rm -f "$NAME" >/dev/null 2>&1
  timeout 60 "$CONTAINER_CLI" volume rm -f "$DATA_VOL" "$CACHE_VOL" "$DATA2_VOL" >/dev/null 2>&1
  if [ "$KEEP_IMAGE" = 0 ]; then timeout 60 "$CONTAINER_CLI" rmi -f "$IMAGE" >/dev/null 2>&1; fi
  [ "$rc" = 0 ] && log "cleaned up (containers and volumes removed)"
  exit "$rc"
}
trap cleanup EXIT

total_start=$SECONDS

# ------------------------------------------------------------------ 1. build
if ! cli image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  begin "base image $BASE_IMAGE missing: building it (deploy/build-base.sh)"
  IMAGE="$BASE_IMAGE" CONTAINER_CLI="$CONTAINER_CLI" timeout 1500 bash "$here/build-base.sh"
  done_step "build base image"
fi
begin "building $IMAGE from $SRC (at most 900s)"
timeout 900 "$CONTAINER_CLI" build "${build_flags[@]}" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  -t "$IMAGE" -f "$SRC/Dockerfile" "$SRC" >"/tmp/$NAME-build.log" 2>&1 \
  || { tail -n 40 "/tmp/$NAME-build.log" >&2; die "image build failed (log: /tmp/$NAME-build.log)"; }
done_step "build app image"
size_bytes="$(cli image inspect --format '{{.Size}}' "$IMAGE")"
log "image $IMAGE: $((size_bytes / 1000000)) MB"

# ------------------------------------------------------------------ 2. what is installed
begin "checking the install inside the image"
expected="$(cd "$SRC" && find catalog indexer search_api web jippnas -type f \
              ! -name '*.pyc' ! -path '*/__pycache__/*' | sort)"
timeout 120 "$CONTAINER_CLI" run --rm -i --no-healthcheck "${run_flags[@]}" --read-only -e JIPPNAS_WAIT=0 \
  "$IMAGE" python3 - "$expected" <<'PY' || die "the install is incomplete (see above)"
import importlib.metadata as md
import json
import pathlib
import sys
import sysconfig

site = pathlib.Path(sysconfig.get_paths()["purelib"])
problems = []

# Not editable: the distribution has no direct_url "editable" marker and the code is in site-packages.
dist = md.distribution("jippnas-search")
direct = json.loads(dist.read_text("direct_url.json") or "{}")
if direct.get("dir_info", {}).get("editable"):
    problems.append("installed in editable mode")
import jippnas, catalog, indexer, search_api, web  # noqa: E401
for mod in (jippnas, catalog, indexer, search_api, web):
    if not pathlib.Path(mod.__file__).is_relative_to(site):
        problems.append(f"{mod.__name__} is imported from {mod.__file__}, not from {site}")

# Every file of the packages' source trees is installed (modules and package data alike).
files = [f for f in sys.argv[1].split("\n") if f]
missing = [f for f in files if not (site / f).is_file()]
problems += [f"not installed: {f}" for f in missing]
print(f"package files: {len(files) - len(missing)}/{len(files)} installed under {site}")

# The bundled sample, through the command line's own lookup.
from jippnas.cli import sample_paths
sample = sample_paths()
print("sample:", ", ".join(f"{p.name} ({p.stat().st_size} B)" for p in sample if p.is_file()))
problems += [f"sample file missing: {p}" for p in sample if not p.is_file()]

# The catalog migrations, as Alembic sees them.
from alembic.script import ScriptDirectory
from catalog.store import _alembic_config
scripts = ScriptDirectory.from_config(_alembic_config())
revisions = [r.revision for r in scripts.walk_revisions()]
print(f"catalog migrations: head {scripts.get_current_head()}, {len(revisions)} revision(s)")
if not revisions:
    problems.append("no catalog migration found")

# The OpenSearch index settings and mappings, through the engine's own loader.
from search_api.engines import opensearch as osengine
try:
    body = osengine.load_index_body(384)
    print(f"opensearch mappings: loaded ({len(body['mappings']['properties'])} fields)")
except Exception as exc:
    problems.append(f"the OpenSearch engine cannot load its mappings: {exc.__class__.__name__}: {exc}")

for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
PY
done_step "install check inside the image"

# ------------------------------------------------------------------ 3. index the sample
for vol in "$DATA_VOL" "$CACHE_VOL" "$DATA2_VOL"; do timeout 60 "$CONTAINER_CLI" volume create "$vol" >/dev/null; done
hardening=(--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges)
begin "one-off: index the bundled sample in a container (embeds 202 profiles, at most 600s)"
timeout 600 "$CONTAINER_CLI" run --rm --no-healthcheck "${run_flags[@]}" "${hardening[@]}" \
  -v "$DATA_VOL:/data" -v "$CACHE_VOL:/cache" "$IMAGE" \
  sh -c 'jippnas index --quiet /opt/jippnas/sample/*' | sed 's/^/    /' >&2 \
  || die "indexing the sample failed"
done_step "index the sample (cold vector cache)"

# ------------------------------------------------------------------ 4. serve
begin "serving on $BASE_URL (the image's default command)"
timeout 60 "$CONTAINER_CLI" run -d --name "$NAME" "${run_flags[@]}" "${hardening[@]}" \
  -p "127.0.0.1:$PORT:8000" -v "$DATA_VOL:/data" -v "$CACHE_VOL:/cache" "$IMAGE" >/dev/null
wait_healthy() {
  local deadline=$((SECONDS + $1))
  until curl -fsS -m 3 "$BASE_URL/healthz" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || die "/healthz did not answer 200 within $1s"
    sleep 1
  done
}
wait_healthy 60
done_step "container start → /healthz 200"

# ------------------------------------------------------------------ 5. requests, user, health check
begin "requests"
health="$(curl -fsS -m 10 "$BASE_URL/healthz")"
log "GET /healthz → $health"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("documents")==202 else f"expected 202 documents: {d}")' "$health"
t0=$(date +%s%N)
search="$(curl -fsS -m 60 "$BASE_URL/api/v1/search?q=stunting")"
first_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
t0=$(date +%s%N)
curl -fsS -m 30 -o /dev/null "$BASE_URL/api/v1/search?q=stunting&province=Jawa+Timur"
second_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
python3 - "$search" <<'PY' || die "search for stunting returned no hits"
import json, sys
d = json.loads(sys.argv[1])
hits = d.get("hits") or d.get("results") or []
print(f"    GET /api/v1/search?q=stunting → total {d.get('total')}, first: {hits[0].get('title') if hits else None!r}",
      file=sys.stderr)
sys.exit(0 if d.get("total", 0) > 0 and hits else 1)
PY
log "search latency: first query ${first_ms} ms (loads the embedder), next ${second_ms} ms"
for path in / "/opensearch.xml" "/inovasi/$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print((d.get("hits") or d.get("results"))[0]["id"])' "$search")"; do
  code="$(curl -sS -m 30 -o /dev/null -w '%{http_code}' "$BASE_URL$path")"
  log "GET $path → $code"
  [ "$code" = 200 ] || die "GET $path answered $code"
done
uids="$(cli exec "$NAME" sh -c 'grep -E "^(Uid|Gid):" /proc/1/status | tr -s "\t" " "; id')"
log "server process: $(echo "$uids" | tr '\n' ';')"
echo "$uids" | grep -q '^Uid: 10001 10001 10001 10001' || die "the server does not run as uid 10001"
cli exec "$NAME" sh -c 'touch /opt/jippnas/x 2>/dev/null' && die "the app user can write to /opt/jippnas"
if [ "$CONTAINER_CLI" = podman ]; then
  timeout 30 podman healthcheck run "$NAME" >/dev/null || die "the image's HEALTHCHECK fails"
else
  timeout 30 docker exec "$NAME" python3 -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)" \
    || die "the image's HEALTHCHECK command fails"
fi
log "HEALTHCHECK passes; app user cannot write to /opt/jippnas"
done_step "requests, non-root check, health check"

# ------------------------------------------------------------------ 6. volumes
begin "restart: the index is on the data volume"
timeout 60 "$CONTAINER_CLI" restart -t 10 "$NAME" >/dev/null
wait_healthy 60
curl -fsS -m 10 "$BASE_URL/healthz" | grep -q '"documents": *202' || die "after a restart the index is not there"
done_step "restart → /healthz 200 with 202 documents"
begin "re-index into a fresh data volume with the same cache volume (vectors cached: no embedding)"
timeout 300 "$CONTAINER_CLI" run --rm --no-healthcheck "${run_flags[@]}" "${hardening[@]}" \
  -v "$DATA2_VOL:/data" -v "$CACHE_VOL:/cache" "$IMAGE" \
  sh -c 'jippnas index --quiet /opt/jippnas/sample/*' | sed 's/^/    /' >&2 \
  || die "indexing with a warm cache failed"
done_step "index the sample (warm vector cache)"

begin "stop"
timeout 60 "$CONTAINER_CLI" stop -t 10 "$NAME" >/dev/null
done_step "stop (SIGTERM → exit)"
log "exit code of the stopped server: $(cli inspect --format '{{.State.ExitCode}}' "$NAME")"

log "PASSED in $((SECONDS - total_start))s; image $IMAGE $((size_bytes / 1000000)) MB"
printf '  %s\n' "${timings[@]}" >&2
