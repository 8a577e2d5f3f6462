#!/usr/bin/env python3
"""Checks the Grafana dashboard's queries without a Grafana.

  scripts/check-dashboard.py --petrel-bin .build/debug/petrel
  scripts/check-dashboard.py --contract      no service binary: names from the metric contract

1. structure: schemaVersion >= 39; a `datasource` variable that every panel, query and
   variable uses (a hard-coded datasource uid breaks on any other Grafana); no `__inputs`
   (dashboards provisioned from a ConfigMap are never imported, so ${DS_...} inputs would stay
   unresolved); unique panel ids; panels inside the 24-column grid; every $variable defined;
   every panel and annotation selector filtered by namespace="$namespace" (an unfiltered
   selector mixes prod into the dev view).
2. syntax: every query, its variables replaced by sample values, parses in promtool (written
   as recording rules, one group per query, so promtool's error names the panel).
3. names: every metric a query reads is exported by the service (its live /metrics after one
   request to /hits, which also exercises the counter store), recorded by
   deploy/monitoring/rules, written by Prometheus itself, or on the short list of
   kube-state-metrics and cAdvisor names. The contract list that the rules' lint trusts
   (monitoring_promql.PETREL_METRICS) must be exported by the service too.
Exits non-zero on any problem. Needs PyYAML and promtool.
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import grafana_dashboard as dash  # noqa: E402
import live_stack  # noqa: E402
import monitoring_promql as promql  # noqa: E402
from petrel_process import Petrel  # noqa: E402

RULES = ROOT / "deploy/monitoring/rules/petrel.rules.yaml"
MIN_SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
NAMESPACE_FILTER = 'namespace="$namespace"'
# What Grafana would send for a typical selection; multi-value variables become regexes.
SAMPLE_VALUES = {"namespace": "petrel", "job": "petrel", "pod": ".*", "route": ".*", **dash.GRAFANA_VARIABLES}


def structure_problems(dashboard: dict) -> list:
    problems = []
    if dashboard.get("schemaVersion", 0) < MIN_SCHEMA_VERSION:
        problems.append(f"schemaVersion is {dashboard.get('schemaVersion')}, expected >= {MIN_SCHEMA_VERSION}")
    if not dashboard.get("uid"):
        problems.append("no uid: Grafana would make a new one on every load, breaking links")
    if "__inputs" in dashboard:
        problems.append("__inputs present: provisioned dashboards are not imported, use the ${datasource} variable")
    variables = {v.get("name"): v for v in dash.variables(dashboard)}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no `datasource` variable of type datasource with query prometheus")
    for variable in variables.values():
        if variable.get("type") == "query" and variable.get("datasource") != DATASOURCE:
            problems.append(f"variable ${variable['name']}: datasource must be {DATASOURCE}")
    seen_ids = set()
    for panel in dash.panels(dashboard):
        where = f'panel {panel.get("id")} "{panel.get("title")}"'
        if panel.get("id") in seen_ids:
            problems.append(f"{where}: duplicate id")
        seen_ids.add(panel.get("id"))
        grid = panel.get("gridPos", {})
        if grid.get("x", 0) + grid.get("w", 0) > 24:
            problems.append(f"{where}: gridPos reaches past column 24")
        if panel.get("type") == "row":
            continue
        if panel.get("datasource") != DATASOURCE:
            problems.append(f"{where}: datasource must be {DATASOURCE}")
        if not panel.get("targets"):
            problems.append(f"{where}: no queries")
        refs = [t.get("refId") for t in panel.get("targets", [])]
        if len(set(refs)) != len(refs):
            problems.append(f"{where}: duplicate refId")
        for target in panel.get("targets", []):
            if target.get("datasource", DATASOURCE) != DATASOURCE or not target.get("expr"):
                problems.append(f"{where} target {target.get('refId')}: needs an expr and datasource {DATASOURCE}")
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation and annotation.get("datasource") != DATASOURCE:
            problems.append(f'annotation "{annotation.get("name")}": datasource must be {DATASOURCE}')
    known = set(variables) | set(dash.GRAFANA_VARIABLES)
    for query in dash.queries(dashboard):
        for name in sorted(dash.variables_used(query.expr) - known):
            problems.append(f"{query.where}: uses ${name}, which the dashboard does not define")
        if query.kind == "variable":
            continue
        for selector in promql.selectors(query.promql):
            if NAMESPACE_FILTER not in map(str, selector.matchers.matchers):
                problems.append(f"{query.where}: {promql.metric_name(selector)} is not filtered by {NAMESPACE_FILTER}")
    return problems


def promtool_problems(queries: list, promtool: str) -> list:
    groups, problems = [], []
    for number, query in enumerate(queries, 1):
        try:
            expr = dash.substitute(query.expr, SAMPLE_VALUES)
        except KeyError as err:
            problems.append(f"{query.where}: no sample value for ${err.args[0]}: "
                            f"add one to SAMPLE_VALUES in {Path(__file__).name}")
            continue
        groups.append({"name": query.where, "rules": [{"record": f"dashboard:query_{number}", "expr": expr}]})
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="dashboard-queries-") as rules:
        yaml.safe_dump({"groups": groups}, rules, sort_keys=False, width=1000)
        rules.flush()
        result = subprocess.run([promtool, "check", "rules", rules.name], capture_output=True, text=True)
    if result.returncode != 0:
        problems.append("promtool rejects dashboard queries:\n" + (result.stderr or result.stdout).strip())
    return problems


def live_metric_names(petrel_bin: str) -> set:
    with tempfile.TemporaryDirectory(prefix="check-dashboard-") as workdir:
        petrel = Petrel(petrel_bin, Path(workdir), {"APP_ENV": "development"})
        try:
            petrel.start(ready_path="/healthz")
            # A hit on the public port first, so that the hit counter's series exist; /metrics is
            # on the admin listener.
            for request, path in ((petrel.request, "/hits"), (petrel.admin_request, "/metrics")):
                response = request("GET", path)
                if response.status != 200:
                    raise petrel.failure(f"answered GET {path} with {response.status}")
        finally:
            petrel.stop()
    return live_stack.exported_metric_names(response.body.decode())


def name_problems(queries: list, exported: set, source: str) -> list:
    rules = yaml.safe_load(RULES.read_text())
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    known = exported | recorded | promql.PROMETHEUS_METRICS | promql.CLUSTER_METRICS
    problems = []
    for query in queries:
        for metric in sorted(query.metric_names() - known):
            problems.append(f"{query.where}: reads {metric}, which is neither {source}, recorded by {RULES.name}, "
                            "nor a Prometheus/kube-state-metrics/cAdvisor name")
    for metric in sorted(promql.PETREL_METRICS - exported):
        problems.append(f"monitoring_promql.PETREL_METRICS lists {metric}, but it is not {source}: "
                        "the rules' lint trusts a stale contract")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--petrel-bin", help="the service binary; its live /metrics is the list of exported names")
    source.add_argument("--contract", action="store_true",
                        help="take exported names from monitoring_promql.PETREL_METRICS")
    ap.add_argument("--dashboard", type=Path, default=dash.DASHBOARD)
    ap.add_argument("--promtool", default="promtool")
    args = ap.parse_args()

    dashboard = dash.load(args.dashboard)
    queries = dash.queries(dashboard)
    unparsed = []
    for query in queries:
        try:
            promql.parse(query.promql)
        except ValueError as err:
            unparsed.append(f"{query.where}: {err}")
    if unparsed:
        print("\n".join(f"FAIL {problem}" for problem in unparsed))
        return 1
    if args.petrel_bin:
        exported, source = live_metric_names(args.petrel_bin), "exported by the service's live /metrics"
    else:
        exported, source = set(promql.PETREL_METRICS), "in the metric contract (monitoring_promql.PETREL_METRICS)"
    problems = (structure_problems(dashboard) + promtool_problems(queries, args.promtool)
                + name_problems(queries, exported, source))
    for problem in problems:
        print(f"FAIL {problem}")
    kinds = {k: sum(q.kind == k for q in queries) for k in ("panel", "annotation", "variable")}
    cluster = sum(q.reads_cluster_metrics() for q in queries)
    print(f"{args.dashboard.name}: {kinds['panel']} panel, {kinds['annotation']} annotation and "
          f"{kinds['variable']} variable queries; "
          f"{cluster} need kube-state-metrics/cAdvisor; metric names checked against {len(exported)} names {source}: "
          + ("ok" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
