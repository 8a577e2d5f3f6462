#!/usr/bin/env bash
# Proves the runtime image contract offline, with podman and the host-built binary:
# runs as UID 1000 on a read-only root filesystem with all capabilities dropped, from a
# read-only working directory (so a ./.env planted on the data volume is never read), writes
# only to the /data volume, answers /healthz and /readiness (and /metrics on its admin port only,
# 404 on the serving port), turns unready at once on SIGTERM,
# and exits 0 within SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS.
#
# The Dockerfile's build stage needs the swift:6.x image, which cannot be pulled here; the
# release workflow builds and pushes the real image. This check assembles an equivalent
# runtime (Debian bookworm minbase + ca-certificates, tzdata, SQLite and libstdc++, plus the Swift
# runtime libraries the host binary links, when it was not built with --static-swift-stdlib).
#
# usage: PETREL_BIN=.build/release/petrel scripts/check-image.sh
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

PETREL_BIN="${PETREL_BIN:-.build/release/petrel}"
DRAIN=1 TIMEOUT=2
[ -x "$PETREL_BIN" ] || die "PETREL_BIN=$PETREL_BIN is not an executable; build it first (scripts/build-release.sh)"
ensure_apt podman runc debootstrap curl

# Podman as root on these machines works with runc, host networking and lower ulimits.
CACHE="$REPO_ROOT/.tools/image"
mkdir -p "$CACHE"
cat >"$CACHE/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
netns = "host"
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$CACHE/containers.conf"

# 1. Base image, built once and cached: debootstrap is the slow part (about a minute). Its tag
#    and cache file name the package list, so a change to the list builds a new base.
BASE_PACKAGES=ca-certificates,tzdata,libsqlite3-0,libstdc++6
BASE_ID="bookworm-$(printf '%s' "$BASE_PACKAGES" | sha256sum | cut -c1-8)"
BASE="localhost/petrel-check-base:$BASE_ID"
if ! podman image exists "$BASE"; then
  if [ ! -f "$CACHE/$BASE_ID.tar" ]; then
    log "debootstrap bookworm minbase (cached in $CACHE)"
    rm -rf "$CACHE/rootfs"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" \
      bookworm "$CACHE/rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
      || die "debootstrap failed, see $CACHE/debootstrap.log"
    rm -rf "$CACHE/rootfs/var/cache/apt/archives/"*.deb "$CACHE/rootfs/var/lib/apt/lists/"*
    # The image's user and its only writable directory (the Dockerfile does the same).
    chroot "$CACHE/rootfs" sh -c 'groupadd -g 1000 petrel && useradd -u 1000 -g 1000 -d /data -M -s /usr/sbin/nologin petrel'
    install -d -o 1000 -g 1000 -m 0750 "$CACHE/rootfs/data"
    tar -C "$CACHE/rootfs" -cf "$CACHE/$BASE_ID.tar.tmp" . && mv "$CACHE/$BASE_ID.tar.tmp" "$CACHE/$BASE_ID.tar"
    rm -rf "$CACHE/rootfs"
  fi
  podman import --quiet "$CACHE/$BASE_ID.tar" "$BASE" >/dev/null
fi

WORK="$(mktemp -d)"
NAME="petrel-image-check-$$"
IMAGE="localhost/petrel-check:$$"
cleanup() {
  podman rm -f --time 0 "$NAME" >/dev/null 2>&1 || true
  podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# 2. Runtime image: the binary plus exactly the shared libraries ldd lists. The base already has
#    the system ones (libc, libm, libz, libgcc_s): they must be the very files the binary was
#    linked against (host and base are both bookworm), else the check would prove nothing. The
#    rest (the Swift runtime under /opt/swift, for a build without --static-swift-stdlib) is copied.
if ldd "$PETREL_BIN" | grep -q 'not found'; then
  ldd "$PETREL_BIN" | grep 'not found' >&2; die "$PETREL_BIN has unresolved libraries on this host"
fi
mkdir -p "$WORK/ctx/lib"
cp "$PETREL_BIN" "$WORK/ctx/petrel"
# "sha256  name" of every library in the base (sha256sum follows the .so symlinks).
podman run --rm --network none "$BASE" sh -c 'cd /usr/lib/x86_64-linux-gnu && sha256sum -- *.so*' >"$WORK/base-libs"
copied=() shared=()
while read -r lib; do
  name="$(basename "$lib")"
  base_sum="$(awk -v n="$name" '$2 == n { print $1 }' "$WORK/base-libs")"
  if [ -n "$base_sum" ]; then
    [ "$base_sum" = "$(sha256sum <"$lib" | cut -d' ' -f1)" ] \
      || die "$lib differs from the base image's $name: host and base must be the same Debian release"
    shared+=("$name")
  else
    cp -L "$lib" "$WORK/ctx/lib/"; copied+=("$name")
  fi
done < <(ldd "$PETREL_BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
# /app: the working directory, root-owned and read-only (the service reads ./.env from it);
# /data stays the only writable path. The same layout as the Dockerfile's runtime stage.
cat >"$WORK/ctx/Containerfile" <<CONTAINERFILE
FROM $BASE
COPY lib/ /usr/lib/
COPY petrel /usr/local/bin/petrel
WORKDIR /app
ENV DATA_DIR=/data HTTP_HOST=0.0.0.0 HTTP_PORT=8080 ADMIN_PORT=9797
USER 1000:1000
STOPSIGNAL SIGTERM
ENTRYPOINT ["petrel"]
CONTAINERFILE
podman build --quiet --network none -t "$IMAGE" "$WORK/ctx" >/dev/null
log "image built on $BASE: binary + ${#copied[@]} copied libraries (${copied[*]:-none}); ${#shared[@]} identical in the base (${shared[*]:-none})"

# 3. Run it the way Kubernetes does: UID 1000, read-only root (no implicit tmpfs but /tmp),
#    no capabilities, no privilege escalation, a writable volume at /data only.
#    A .env planted on the volume would fail every application request if it were read.
mkdir -p "$WORK/data" && chown 1000:1000 "$WORK/data"
printf 'FAULT_ERROR_RATE=1\n' >"$WORK/data/.env"
PORT="$(free_port)" ADMIN_PORT="$(free_port)"
while [ "$ADMIN_PORT" = "$PORT" ]; do ADMIN_PORT="$(free_port)"; done
podman run -d --name "$NAME" --user 1000:1000 --read-only --read-only-tmpfs=false --tmpfs /tmp \
  --cap-drop ALL --security-opt no-new-privileges --network host \
  -v "$WORK/data:/data" \
  -e HTTP_HOST=127.0.0.1 -e HTTP_PORT="$PORT" -e ADMIN_PORT="$ADMIN_PORT" -e LOG_FORMAT=json \
  -e SHUTDOWN_DRAIN_SECONDS="$DRAIN" -e SHUTDOWN_TIMEOUT_SECONDS="$TIMEOUT" \
  "$IMAGE" >/dev/null

failures=()
check() { # check DESCRIPTION CMD... — record a failed expectation, keep going
  local description="$1"; shift
  if "$@"; then printf '  ok   %s\n' "$description"; else printf '  FAIL %s\n' "$description"; failures+=("$description"); fi
}
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT$1" || true; }
expect() { [ "$(status "$2")" = "$1" ]; }

for _ in $(seq 1 60); do
  [ "$(status /healthz)" = 200 ] && break
  [ "$(podman inspect -f '{{.State.Running}}' "$NAME")" = true ] || break
  sleep 0.5
done
if [ "$(status /healthz)" != 200 ]; then
  podman logs "$NAME" 2>&1 | tail -20 >&2
  die "the container did not answer /healthz on 127.0.0.1:$PORT"
fi
for _ in $(seq 1 20); do [ "$(status /readiness)" = 200 ] && break; sleep 0.5; done

echo "image contract (127.0.0.1:$PORT):"
check "GET /healthz answers 200" expect 200 /healthz
check "GET /readiness answers 200" expect 200 /readiness
check "GET /hits answers 200 (writes to /data on a read-only root)" expect 200 /hits
check "GET /metrics answers 404 on the serving port" expect 404 /metrics
admin_metrics=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$ADMIN_PORT/metrics" || true)
check "GET /metrics answers 200 on the admin port ($ADMIN_PORT, got $admin_metrics)" test "$admin_metrics" = 200
uid="$(stat -c %u "/proc/$(podman inspect -f '{{.State.Pid}}' "$NAME")")"
check "process runs as UID 1000 (got ${uid:-none})" test "$uid" = 1000
cwd="$(podman exec "$NAME" readlink /proc/1/cwd 2>/dev/null || true)"
check "working directory is /app (got ${cwd:-none}), not the data volume" test "$cwd" = /app
check "working directory is not writable by UID 1000" podman exec "$NAME" test ! -w /app
check "a .env on the /data volume is ignored (GET /hits was not failed by FAULT_ERROR_RATE=1)" expect 200 /hits
check "data written under the /data volume is owned by UID 1000" \
  test -n "$(find "$WORK/data" -mindepth 1 -uid 1000 -print -quit)"

start=$(date +%s%N)
podman kill --signal TERM "$NAME" >/dev/null
sleep 0.3
check "after SIGTERM /readiness answers 503 (draining)" expect 503 /readiness
check "after SIGTERM /healthz still answers 200 (serving through the drain)" expect 200 /healthz
limit=$((DRAIN + TIMEOUT + 1))
code="$(timeout "$limit" podman wait "$NAME" 2>/dev/null || echo timeout)"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "exit status 0 after SIGTERM (got $code)" test "$code" = 0
check "kept serving for the drain (${DRAIN}s) before exiting" test "$elapsed_ms" -ge $(( DRAIN * 1000 - 100 ))
check "stopped within drain + timeout (${DRAIN}s + ${TIMEOUT}s; took ${elapsed_ms}ms)" test "$elapsed_ms" -le $(( (DRAIN + TIMEOUT) * 1000 + 500 ))

if [ ${#failures[@]} -gt 0 ]; then
  podman logs "$NAME" 2>&1 | tail -20 >&2
  printf 'check-image: %d of the image contract checks failed\n' "${#failures[@]}"
  exit 1
fi
echo "check-image: all image contract checks passed"
