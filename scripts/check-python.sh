#!/usr/bin/env bash
# Lints the project's Python (scripts/, and the benchmark's peers under Benchmarks/) with ruff, as
# ruff.toml at the repository root configures it.
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
ensure_pip ruff==0.17.6
offline ruff check --no-cache scripts Benchmarks
