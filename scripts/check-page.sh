#!/usr/bin/env bash
# The status page in a real browser (issue 23): starts the Petrel binary in PETREL_BIN (CI passes
# the release build) on 127.0.0.1 with SQLite stores in a temporary DATA_DIR, an API key file,
# and POD_NAME, NODE_NAME, POD_NAMESPACE and APP_ENV set; then scripts/check-page.py drives
# headless Chromium from Debian's package through Playwright: it writes cities and hits through
# the JSON API, loads `/` on a desktop and a phone viewport and with JavaScript off, compares
# every fact the page shows with the JSON endpoints, presses the hit button, looks up a city and
# a missing one, and fails on any console error, page error, CSP violation, request to another
# origin or horizontal scrolling on the phone. Screenshots go to ARTIFACTS_DIR (default
# .build/artifacts/page, git-ignored); their paths are printed. Installs what it needs (chromium
# as root; Playwright in .venv-page); exits non-zero on any mismatch.
#
# usage: PETREL_BIN=path/to/petrel [ARTIFACTS_DIR=dir] scripts/check-page.sh
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

# Debian's Chromium: Playwright's own browser download does not work offline. The fonts make the
# screenshots the same on every machine.
ensure_apt chromium fonts-dejavu-core
# Its own venv: Playwright pins greenlet and pyee, which nothing else here needs.
TOOLS_VENV="$REPO_ROOT/.venv-page" ensure_pip playwright==1.65.2
[ -x /usr/bin/chromium ] || die "no /usr/bin/chromium after installing the chromium package"

bin="${PETREL_BIN:-.build/debug/petrel}"
[ -x "$bin" ] || die "no petrel binary at $bin: build it first (swift build), or set PETREL_BIN"
artifacts="${ARTIFACTS_DIR:-$REPO_ROOT/.build/artifacts/page}"
mkdir -p "$artifacts"
artifacts="$(cd "$artifacts" && pwd)"

work=$(mktemp -d)
cleanup() {
  petrel_process stop --dir "$work/petrel" --signal KILL >/dev/null 2>&1 || true
  cp "$work/petrel/petrel.log" "$artifacts/petrel.log" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# What the page must show; check-page.py also checks that GET / reports them.
settings=(
  APP_ENV=staging
  POD_NAME=petrel-7d4b9c8f6-ws5z2
  NODE_NAME=ip-10-0-12-34.eu-west-1.compute.internal
  POD_NAMESPACE=petrel
  READY_MIN_UPTIME_SECONDS=0
  COUNTER_STORE=sqlite
  CITY_STORE=sqlite
)
set_args=() expect_args=()
for setting in "${settings[@]}"; do
  set_args+=(--set "$setting")
  expect_args+=(--expect "$setting")
done

log "petrel: $bin (SQLite under $work/petrel/data)"
started=$(petrel_process start --dir "$work/petrel" --bin "$bin" "${set_args[@]}")
read -r port pid ready_ms <<<"$started"
log "petrel: pid $pid on 127.0.0.1:$port, ready in ${ready_ms} ms"

status=0
PYTHONDONTWRITEBYTECODE=1 "$REPO_ROOT/.venv-page/bin/python" scripts/check-page.py \
  --url "http://127.0.0.1:$port" --api-key-file "$work/petrel/api-keys" --artifacts "$artifacts" \
  "${expect_args[@]}" || status=$?

petrel_process stop --dir "$work/petrel" || die "petrel (pid $pid) exited non-zero after SIGTERM: see $artifacts/petrel.log"
[ "$status" -eq 0 ] || die "the status page check failed (above); screenshots and petrel.log in $artifacts"
log "status page checks passed; screenshots in $artifacts"
