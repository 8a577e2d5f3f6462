"""PromQL helpers shared by scripts/gen-monitoring.py, scripts/check-dashboard.py and the
live alert test.

Two jobs: scale the durations in rules (for the time-compressed live test), and list the
metric names an expression reads, so a rule or panel that names a metric nobody exports
fails in CI instead of staying silent forever (promtool accepts any name).
"""
import re

# The metric contract (docs: /work/shared/DESIGN.md "Telemetry"), plus what the rules and
# dashboard read from Prometheus itself and from kube-state-metrics.
HISTOGRAMS = {"http_server_request_duration_seconds", "petrel_dependency_request_duration_seconds"}
PETREL_METRICS = {
    "http_server_active_requests", "petrel_build_info", "petrel_ready", "petrel_uptime_seconds",
    "petrel_dependency_up", "petrel_hits_total", "process_cpu_seconds_total",
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

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_RANGE = re.compile(r"\[([0-9smhdwy]+)(?::([0-9smhdwy]*))?\]")
_OFFSET = re.compile(r"\boffset\s+([0-9smhdwy]+)")
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "offset", "bool", "inf", "nan", "atan2", "start", "end",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACES = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_MATCHERS = re.compile(r"\s*(\{[^{}]*\})")


def seconds(duration: str) -> float:
    parts = _DURATION.findall(duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def format_duration(secs: float) -> str:
    ms = round(secs * 1000)
    if ms <= 0:
        raise ValueError("duration scaled to zero")
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def scale_duration(duration: str, factor: int) -> str:
    return format_duration(seconds(duration) / factor)


def _outside_strings(expr: str, change) -> str:
    """Applies change to the code between string literals only: a label value or regex such
    as status=~"[45].." looks like a range but is not one."""
    out, pos = [], 0
    for m in _STRING.finditer(expr):
        out += [change(expr[pos:m.start()]), m.group(0)]
        pos = m.end()
    return "".join(out + [change(expr[pos:])])


def scale_expr(expr: str, factor: int) -> str:
    """Divides every range, subquery step and offset in a PromQL expression by factor."""
    def rng(m):
        out = "[" + scale_duration(m.group(1), factor)
        if m.group(2) is not None:
            out += ":" + (scale_duration(m.group(2), factor) if m.group(2) else "")
        return out + "]"

    def scale(code):
        code = _RANGE.sub(rng, code)
        return _OFFSET.sub(lambda m: "offset " + scale_duration(m.group(1), factor), code)
    return _outside_strings(expr, scale)


def ranges(expr: str) -> set:
    return {m.group(1) for m in _RANGE.finditer(_STRING.sub('""', expr))}


def _blank(m) -> str:
    return " " * len(m.group(0))


def selectors(expr: str) -> list:
    """(metric name, its label matchers '{...}' or '') for every vector selector in an
    expression. Approximate PromQL lexing, good enough for the expressions in this repository:
    strings, label matchers, ranges and grouping clauses are blanked first (keeping offsets, so
    the matchers can be read back from the original); an identifier followed by '(' is a
    function."""
    code = _STRING.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], expr)
    bare = _GROUPING.sub(_blank, _BRACKETS.sub(_blank, _BRACES.sub(_blank, code)))
    found = []
    for m in _IDENT.finditer(bare):
        word = m.group(0)
        if bare[m.end():].lstrip().startswith("(") or word.lower() in _KEYWORDS:
            continue
        if re.fullmatch(r"[0-9.eE+-]+", word):
            continue
        braces = _MATCHERS.match(code, m.end())
        found.append((word, expr[braces.start(1):braces.end(1)] if braces else ""))
    return found


def metric_names(expr: str) -> set:
    """The metric names an expression selects (see selectors())."""
    return {name for name, _ in selectors(expr)}
