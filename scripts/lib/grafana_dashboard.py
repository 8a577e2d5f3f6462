"""Petrel's Grafana dashboard as data: the PromQL it runs and the template variables it uses.

Shared by scripts/check-dashboard.py (static checks) and scripts/lib/live_alerts.py (every query
returns data from a live Prometheus, with the variables filled in as Grafana fills them in).
"""
import json
import re
from dataclasses import dataclass
from pathlib import Path

import monitoring_promql as promql

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy/monitoring/grafana/petrel.json"
# Grafana's built-in variables that queries may use besides the dashboard's own, with a value
# of the kind Grafana gives them. They stand where PromQL wants a duration; the dashboard's own
# variables stand in label values, where PromQL takes any text.
GRAFANA_VARIABLES = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")
# A variable's query is Grafana syntax around PromQL: label_values(<selector>, <label>) or
# query_result(<expr>); label_values(<label>) alone has no PromQL in it.
_VARIABLE_QUERY = re.compile(
    r"^\s*(?:label_values\((?P<selector>.+),\s*(?P<label>\w+)\s*\)|query_result\((?P<expr>.+)\))\s*$", re.S)
# Grafana's escaping of a variable's value in a Prometheus query: regex metacharacters for
# multi-value and All variables (their values land in =~ matchers), quotes otherwise.
_REGEX_METACHARACTERS = re.compile(r"[$^*{}\[\]'+?.()|]")


@dataclass(frozen=True)
class Query:
    where: str  # for messages: 'panel 12 "Latency…" target B'
    kind: str  # panel, annotation or variable
    expr: str  # as written, $variables included

    @property
    def promql(self) -> str:
        """The expression with Grafana's built-in variables filled in, so that it parses; the
        dashboard's own $variables stay, inside label values."""
        return substitute(self.expr, {**{name: f"${name}" for name in variables_used(self.expr)}, **GRAFANA_VARIABLES})

    def metric_names(self) -> set:
        return promql.metric_names(self.promql)

    def reads_cluster_metrics(self) -> bool:
        """True when the query needs kube-state-metrics or cAdvisor, which only a cluster has."""
        return bool(self.metric_names() & promql.CLUSTER_METRICS)


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
            where = f'panel {panel.get("id")} "{panel.get("title")}" target {target.get("refId")}'
            found.append(Query(where, "panel", target.get("expr", "")))
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


def _escape(value: str, variable: dict) -> str:
    if variable.get("multi") or variable.get("includeAll"):
        return _REGEX_METACHARACTERS.sub(lambda m: "\\\\" + m.group(0), value.replace("\\", "\\\\\\\\"))
    return value.replace("\\", "\\\\").replace("'", "\\'")


def selections(dashboard: dict, label_values) -> dict:
    """The dashboard's query variables filled in as Grafana fills them in from a live
    Prometheus, in two selections: "all" (each variable at All where it offers All, as the
    dashboard opens) and "first" (each at its first option, like a user picking one namespace,
    service, pod and route). Only "first" makes the job and pod matchers bite: with All they
    are .* regexes that any label value passes. Variables are resolved in order, each query
    with the values before it; label_values(selector, label) lists the options.
    Returns {selection: {variable: value}}; raises LookupError when a variable has no option."""
    chosen = {"all": {}, "first": {}}
    for variable in variables(dashboard):
        if variable.get("type") != "query":
            continue
        m = _VARIABLE_QUERY.match(variable_query(variable))
        if not m or not m.group("selector"):
            raise ValueError(f"variable ${variable['name']}: only label_values(<selector>, <label>) queries "
                             "can be resolved here")
        for selection, values in chosen.items():
            options = sorted(label_values(substitute(m.group("selector"), values), m.group("label")))
            if not options:
                raise LookupError(f"variable ${variable['name']} has no options ({selection}: {values})")
            if selection == "all" and variable.get("includeAll"):
                escaped = "|".join(_escape(option, variable) for option in options)
                values[variable["name"]] = variable.get("allValue") or f"({escaped})"
            else:
                values[variable["name"]] = _escape(options[0], variable)
    return chosen
