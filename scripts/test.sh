#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs `swift test`.
# Tests that need a server start a private one on 127.0.0.1 when its binary is here; without it
# they skip with a line saying how to install it, except under CI=true, where a skip fails.
set -euo pipefail
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

if [ "$(id -u)" -eq 0 ]; then
  mapfile -t test_packages <scripts/test-packages.txt
  ensure_apt "${test_packages[@]}"
else
  log "not root: skipping the Debian packages in scripts/test-packages.txt (install them to run every test)"
fi

# The Elasticsearch-compatible server for the city tests: a static binary from PyPI, in .venv.
ensure_pip osmem-server==0.1.6

swift build --build-tests "$@"
# Serial: the live tests time real processes and sockets, and 2 cores shared by parallel suites
# make their latency bounds flaky.
swift test --skip-build --no-parallel "$@" 2>&1 | tee .build/test-output.txt
status=${PIPESTATUS[0]}
if [ "${CI:-}" = "true" ] && grep -qE 'skipped|Skipped' .build/test-output.txt; then
  grep -E 'skipped|Skipped' .build/test-output.txt >&2
  die "a test was skipped under CI=true: every dependency must be installed"
fi
# One plain closing line with the counts: the total from Swift Testing's summary (per-test lines
# can interleave with the output of the processes the tests start), the failures by name.
total=$(grep -oE 'Test run with [0-9]+ tests?' .build/test-output.txt | grep -oE '[0-9]+' | tail -1 || true)
failed=$(grep -E '^✘ Test .* failed after' .build/test-output.txt | grep -vc 'Test run with' || true)
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "tests: $(( ${total:-0} - failed )) passed, $failed failed"
exit "$status"
