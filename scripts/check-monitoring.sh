#!/usr/bin/env bash
# Checks the monitoring rules: syntax, unit tests of every alert, generated copies in sync with
# their one source, a runbook section for every alert, YAML lint.
set -euo pipefail
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"
ensure_apt prometheus
ensure_pip PyYAML==6.0.3 yamllint==1.37.1

rules=deploy/monitoring/rules/petrel.rules.yaml
offline promtool check rules "$rules"
(cd deploy/monitoring/tests && offline promtool test rules ./*.yaml)
"$TOOLS_VENV/bin/python" scripts/gen-monitoring.py --check

# Every alert's runbook_url points at a section of docs/runbook.md that exists.
missing=0
while read -r anchor; do
  if ! "$TOOLS_VENV/bin/python" - "$anchor" <<'PY'
import re, sys
anchor = sys.argv[1]
headings = [l.lstrip("#").strip() for l in open("docs/runbook.md") if l.startswith("#")]
slugs = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
sys.exit(0 if anchor in slugs else 1)
PY
  then
    echo "no runbook section for #$anchor" >&2
    missing=$((missing + 1))
  fi
done < <(grep -oE 'runbook\.md#[a-z0-9-]+' "$rules" | sort -u | cut -d'#' -f2)
[ "$missing" -eq 0 ] || die "$missing alert(s) without a runbook section"

yamllint -s deploy/monitoring
log "monitoring checks passed: $(grep -c '^ *- alert:' "$rules") alerts, $(grep -c '^ *- record:' "$rules") recording rules"
