#!/usr/bin/env bash
# Build the base image `jippnas-base:bookworm` from Debian's packages alone (no image registry
# needed): debootstrap a minimal Debian bookworm root filesystem, trim it, and import it as an
# image with podman (or docker). The app image (Dockerfile) is built FROM it.
#
#   sudo deploy/build-base.sh                 # builds jippnas-base:bookworm
#   MIRROR=http://deb.debian.org/debian IMAGE=jippnas-base:bookworm CONTAINER_CLI=docker sudo -E deploy/build-base.sh
#
# Needs root (debootstrap), debootstrap, and podman or docker. Every step is bounded in time.
set -euo pipefail

IMAGE="${IMAGE:-jippnas-base:bookworm}"
SUITE="${SUITE:-bookworm}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
DEBOOTSTRAP_TIMEOUT="${DEBOOTSTRAP_TIMEOUT:-900}"

log() { printf '[build-base %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap needs it)"
if [ -z "${CONTAINER_CLI:-}" ]; then
  if command -v podman >/dev/null; then CONTAINER_CLI=podman
  elif command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then CONTAINER_CLI=docker
  else die "neither podman nor a running docker engine (apt-get install -y podman runc)"; fi
fi
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install -y debootstrap)"
# Podman asks for rlimits above the caller's hard limits unless told; without CAP_SYS_RESOURCE
# (as in some VMs and CI sandboxes) runc then fails with "error setting rlimit type 7".
run_flags=()
if [ "$CONTAINER_CLI" = podman ]; then
  nofile="$(ulimit -Hn)"; [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
  run_flags=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
fi

work="$(mktemp -d /var/tmp/jippnas-base.XXXXXX)"
trap 'rm -rf --one-file-system "$work"' EXIT
rootfs="$work/rootfs"

start=$SECONDS
log "debootstrap --variant=minbase $SUITE from $MIRROR into $rootfs (at most ${DEBOOTSTRAP_TIMEOUT}s)"
timeout "$DEBOOTSTRAP_TIMEOUT" debootstrap --variant=minbase --include=ca-certificates \
  "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed or timed out"; }
log "debootstrap done in $((SECONDS - start))s"

# Sources for later apt-get runs inside image builds (the app's Dockerfile installs python3).
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SOURCES

# What Debian's official container images do: no recommends, no docs/man/locales kept, no apt
# caches in image layers.
cat >"$rootfs/etc/apt/apt.conf.d/90container" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Dpkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90container-excludes" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
# Never start services from maintainer scripts inside an image build.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

# Trim what debootstrap leaves behind: caches, package lists, docs, logs.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
       "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* 2>/dev/null || true
: >"$rootfs/etc/machine-id"
# The container runtime supplies these at run time.
rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"

log "importing the root filesystem ($(du -sh --one-file-system "$rootfs" | cut -f1)) as $IMAGE with $CONTAINER_CLI"
timeout 300 bash -c "tar --numeric-owner --one-file-system -C '$rootfs' -c . | \
  $CONTAINER_CLI import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD [\"bash\"]' \
    - '$IMAGE'" >/dev/null || die "import failed"

timeout 60 "$CONTAINER_CLI" run --rm "${run_flags[@]}" "$IMAGE" sh -c '. /etc/os-release && echo "$PRETTY_NAME"' \
  | sed 's/^/[build-base] image runs: /' >&2 || die "the imported image does not run"
log "built $IMAGE in $((SECONDS - start))s"
