"""PromQL helpers shared by scripts/gen-monitoring.py, scripts/check-dashboard.py and the
live alert test, on the syntax tree of the promql-parser package (installed by the scripts
that run these, see scripts/lib/tools.sh).

Two jobs: scale the durations in rules (for the time-compressed live test), and list the
metric names an expression reads, so a rule or panel that names a metric nobody exports
fails in CI instead of staying silent forever (promtool accepts any name).
"""
from datetime import timedelta

import promql_parser

# The metric contract (docs/contract.md, "Telemetry"), plus what the rules and dashboard read
# from Prometheus itself and from kube-state-metrics.
HISTOGRAMS = {"http_server_request_duration_seconds", "petrel_dependency_request_duration_seconds"}
PETREL_METRICS = {
    "http_server_active_requests", "petrel_build_info", "petrel_ready", "petrel_uptime_seconds",
    "petrel_dependency_up", "petrel_hits_total", "petrel_hits_resets_total",
    "petrel_api_keys_reload_failures_total", "petrel_api_keys_last_load_timestamp_seconds",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
    "process_start_time_seconds",
} | {h + s for h in HISTOGRAMS for s in ("_bucket", "_count", "_sum")}
# Written by Prometheus itself: the scrape health of each target, and the alerts' state.
PROMETHEUS_METRICS = {"up", "ALERTS"}
# Need kube-state-metrics or the kubelet's cAdvisor: there is neither in the live test, so
# these can have no data there.
KSM_METRICS = {
    "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available",
    "kube_pod_container_status_restarts_total", "kube_pod_container_resource_limits",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_spec_min_replicas",
}
CADVISOR_METRICS = {"container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total"}
CLUSTER_METRICS = KSM_METRICS | CADVISOR_METRICS
EXTERNAL_METRICS = PETREL_METRICS | PROMETHEUS_METRICS | CLUSTER_METRICS


def parse(expr: str) -> promql_parser.Expr:
    """The syntax tree of an expression; ValueError says what does not parse."""
    try:
        return promql_parser.parse(expr)
    except ValueError as err:
        raise ValueError(f"PromQL does not parse ({err}): {' '.join(expr.split())}") from None


def scale_duration(duration: str, factor: int) -> str:
    """A Prometheus duration ("5m", "1h30m") divided by factor, in the same notation."""
    return promql_parser.display_duration(_divide(promql_parser.parse_duration(duration), factor))


def _divide(duration: timedelta, factor: int) -> timedelta:
    if duration / factor < timedelta(milliseconds=1):
        raise ValueError(f"{promql_parser.display_duration(duration)} / {factor} is less than a millisecond")
    return duration / factor


def scale_expr(expr: str, factor: int) -> str:
    """The expression with every range, subquery step and offset divided by factor, written out
    by the parser (laid out over several lines when long)."""
    def scaled(node):
        # transform() keeps a node that comes back as itself, and prettify() ignores changed
        # attributes: each changed node is handed back as a new one, parsed from its text.
        if isinstance(node, promql_parser.SubqueryExpr):
            return promql_parser.parse(_subquery_text(node, factor))
        if isinstance(node, promql_parser.MatrixSelector):
            node.range = _divide(node.range, factor)
        elif isinstance(node, promql_parser.VectorSelector) and node.offset:
            node.offset = _divide(node.offset, factor)
        else:
            return None
        return promql_parser.parse(str(node))
    return promql_parser.transform(parse(expr), post_visit=scaled).prettify()


def _subquery_text(node: promql_parser.SubqueryExpr, factor: int) -> str:
    # Written out here: str() of a subquery without a step loses its colon ([1h:] becomes [1h]).
    if node.at:
        raise ValueError("cannot scale a subquery with an @ modifier")
    def scaled(duration: timedelta) -> str:
        return promql_parser.display_duration(_divide(duration, factor))
    text = f"{node.expr.prettify()}[{scaled(node.range)}:{scaled(node.step) if node.step else ''}]"
    return text + (f" offset {scaled(node.offset)}" if node.offset else "")


def _nodes(expr: str, kind) -> list:
    found = []
    promql_parser.walk(parse(expr), lambda node: found.append(node) if isinstance(node, kind) else None)
    return found


def ranges(expr: str) -> set:
    """The range of every range vector and subquery, as written ("5m")."""
    return {promql_parser.display_duration(node.range)
            for node in _nodes(expr, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr))}


def selectors(expr: str) -> list:
    """Every vector selector in an expression (promql_parser.VectorSelector: name, matchers)."""
    return _nodes(expr, promql_parser.VectorSelector)


def selector_text(selector: promql_parser.VectorSelector) -> str:
    """A selector without its offset or @, as a query: name{matchers}."""
    matchers = str(selector.matchers) if selector.matchers.matchers or not selector.name else ""
    return (selector.name or "") + matchers


def metric_name(selector: promql_parser.VectorSelector) -> str | None:
    if selector.name:
        return selector.name
    return next((m.value for m in selector.matchers.matchers
                 if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal), None)


def metric_names(expr: str) -> set:
    """The metric names an expression selects."""
    return {name for name in map(metric_name, selectors(expr)) if name}
