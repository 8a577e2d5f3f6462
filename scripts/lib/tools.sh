# shellcheck shell=bash
# Shared helpers for the project's scripts: install what a check needs, idempotently.
# Source it: `. "$(dirname "$0")/lib/tools.sh"`. Safe to source from several scripts at once.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_VENV="$REPO_ROOT/.venv"
export CHECKPOINT_DISABLE=1 CKV_SKIP_PACKAGE_UPDATE_CHECK=true PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_apt PACKAGE... — installs the Debian packages that are missing (root only).
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} — install them with: sudo apt-get install -y ${missing[*]}"
  fi
  log "apt-get install ${missing[*]}"
  (
    flock 9
    if [ ! -f /var/lib/apt/lists/.petrel-updated ] || [ -n "$(find /var/lib/apt/lists/.petrel-updated -mmin +360 2>/dev/null)" ]; then
      apt-get update -qq >/dev/null && touch /var/lib/apt/lists/.petrel-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ) 9>/tmp/petrel-apt.lock || die "apt-get install ${missing[*]} failed"
}

# ensure_pip REQUIREMENT... — installs Python tools into the repo's git-ignored .venv and puts it on PATH.
# A tool whose dependencies clash with the others gets its own: `TOOLS_VENV=$REPO_ROOT/.venv-NAME ensure_pip …`.
ensure_pip() {
  (
    flock 9
    [ -x "$TOOLS_VENV/bin/python" ] || python3 -m venv "$TOOLS_VENV" || exit 1
    local req missing=()
    for req in "$@"; do
      "$TOOLS_VENV/bin/python" -m pip show -q "${req%%[=<>~!]*}" >/dev/null 2>&1 || missing+=("$req")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      log "pip install ${missing[*]}"
      "$TOOLS_VENV/bin/python" -m pip install -q "${missing[@]}" || exit 1
    fi
  ) 9>"$REPO_ROOT/.venv.lock" || die "pip install $* failed"
  case ":$PATH:" in *":$TOOLS_VENV/bin:"*) ;; *) export PATH="$TOOLS_VENV/bin:$PATH" ;; esac
}

# offline CMD... — runs a static check without network access when the kernel allows it.
offline() {
  if unshare -n true 2>/dev/null; then unshare -n -- "$@"; else "$@"; fi
}

# The PromQL parser and YAML reader that scripts/lib/monitoring_promql.py and its users import.
# shellcheck disable=SC2034  # used by the scripts that source this file
MONITORING_PYTHON=(PyYAML==6.0.3 promql-parser==0.12.0)

# petrel_process start|stop|free-port ... — starts a local server (Petrel by default) on 127.0.0.1,
# waits until it answers, and stops it by its PID: scripts/lib/petrel_process.py, which the
# Python checks use too. `petrel_process start --dir DIR [--set NAME=VALUE]...` prints
# "PORT PID MS" (the public port); `petrel_process admin-port --dir DIR` prints the admin
# listener's (ADMIN_PORT, picked free: /metrics, /faults*, /readiness/disable|enable, /status,
# /delay); `petrel_process stop --dir DIR` exits with the server's exit status.
petrel_process() { python3 "$REPO_ROOT/scripts/lib/petrel_process.py" "$@"; }

# free_port — prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() { petrel_process free-port; }
