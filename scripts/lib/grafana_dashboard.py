"""Petrel's Grafana dashboard as data: the PromQL it runs and the template variables it uses.

Shared by scripts/check-dashboard.py (static checks) and scripts/lib/live_alerts.py (every query
returns data from a live Prometheus).
"""
import json
import re
from dataclasses import dataclass
from pathlib import Path

import monitoring_promql as promql

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy/monitoring/grafana/petrel.json"
# Grafana's built-in variables that queries may use besides the dashboard's own.
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__range"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")
# A variable's query is Grafana syntax around PromQL: label_values(<selector>, <label>) or
# query_result(<expr>); label_values(<label>) alone has no PromQL in it.
_VARIABLE_QUERY = re.compile(r"^\s*(?:label_values\((?P<selector>.+),\s*\w+\s*\)|query_result\((?P<expr>.+)\))\s*$", re.S)


@dataclass(frozen=True)
class Query:
    where: str  # for messages: 'panel 12 "Latency…" target B'
    kind: str  # panel, annotation or variable
    expr: str  # as written, $variables included

    def reads_cluster_metrics(self) -> bool:
        """True when the query needs kube-state-metrics or cAdvisor, which only a cluster has."""
        return bool(promql.metric_names(self.expr) & promql.CLUSTER_METRICS)


def load(path: Path = DASHBOARD) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def panels(dashboard: dict) -> list:
    """Every panel, rows and the panels inside collapsed rows included."""
    found = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found += panel.get("panels", [])
    return found


def variables(dashboard: dict) -> list:
    return dashboard.get("templating", {}).get("list", [])


def variable_query(variable: dict) -> str:
    query = variable.get("query", "")
    return query.get("query", "") if isinstance(query, dict) else query


def queries(dashboard: dict) -> list:
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            found.append(Query(f'panel {panel.get("id")} "{panel.get("title")}" target {target.get("refId")}', "panel", target.get("expr", "")))
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation:
            found.append(Query(f'annotation "{annotation.get("name")}"', "annotation", annotation["expr"]))
    for variable in variables(dashboard):
        if variable.get("type") != "query":
            continue
        m = _VARIABLE_QUERY.match(variable_query(variable))
        if m:
            found.append(Query(f'variable ${variable["name"]}', "variable", m.group("selector") or m.group("expr")))
    return found


def variables_used(expr: str) -> set:
    return {next(g for g in m.groups() if g) for m in _VARIABLE.finditer(expr)}


def substitute(expr: str, values: dict) -> str:
    """The query as Grafana would send it, with each $variable replaced by values[name]."""
    def value(m):
        name = next(g for g in m.groups() if g)
        if name not in values:
            raise KeyError(name)
        return values[name]
    return _VARIABLE.sub(value, expr)
