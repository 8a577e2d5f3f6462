"""Proves Petrel's alerts fire and resolve for real; scripts/live-alerts.sh runs this.

A real Prometheus scrapes a running Petrel (its admin listener, ADMIN_PORT, where /metrics is)
and evaluates the shipped rules, time-compressed by
TIME_SCALE with scripts/gen-monitoring.py --time-scale (5m windows become 10s, `for: 2m`
becomes 4s); a real Alertmanager runs the shipped routing and inhibitions, its webhooks
pointed at a local receiver that stands in for the pager and the ticket queue. Prometheus also
scrapes a stand-in for the cluster's kube-state-metrics and cAdvisor (cluster_exporters.py:
fixed series for the kit's Deployment, whose first pod is this Petrel). Then:

  baseline   steady traffic, no alert at all
  faults on  POST /faults/enable {"error_rate": 0.5} on the admin port: every availability burn-rate alert fires
             (two pages, two tickets); Alertmanager inhibits the tickets while the page fires
             and delivers the page to the pager; every dashboard query returns data, both
             with every variable at All and with the first namespace, service, pod and route
             picked; every rule evaluates without error, and each selector of the rules that
             read the stand-in's series selects something
  faults off both pages resolve; only then does the ticket reach the ticket receiver (it was
             inhibited while the page fired). The tickets' short windows (2h and 6h, so 4 and
             12 minutes here) keep them firing past the end of the test, as they should
  kill -9    PetrelDown pages; PetrelNotReady fires and is inhibited by PetrelDown
  restart    both resolve
No other alert may fire at any time (latency SLO, dependency, memory, ...). Prints a table of
alert -> time to fire / time to resolve; exits non-zero when any expectation fails, keeping the
servers' logs.

usage: live_alerts.py --petrel-bin PATH
"""
import argparse
import asyncio
import contextlib
import http.server
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import yaml

import cluster_exporters
import grafana_dashboard as dash
import http1
import live_stack
import monitoring_promql as promql
from petrel_process import HOST, Petrel, wait_until

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER_CONFIG = ROOT / "deploy/monitoring/alertmanager/alertmanager.yml"
TIME_SCALE = 30
# Shipped cadence: 30s rule evaluation (kube-prometheus-stack's default) and 15s scrapes. At
# 1/30 that is 1s and 0.5s; 1s scrapes keep 10 samples in a scaled 5m window and spare the CPU.
INTERVAL = "1s"
# Prometheus' defaults that the rules' timing depends on, scaled alike: how long a series
# without new samples stays visible, and how often a firing alert is re-sent to Alertmanager.
LOOKBACK_DELTA = promql.scale_duration("5m", TIME_SCALE)
RESEND_DELAY = promql.scale_duration("1m", TIME_SCALE)
# The target labels a ServiceMonitor would add: the rules and the dashboard select by them.
# The job is the Service's name, which the kit gives its Deployment and HPA too; the pod label
# is the stand-in's first pod.
NAMESPACE, JOB = "live-test", "petrel"
TRAFFIC_PATHS = ("/hits", "/hello", "/")
TRAFFIC_PER_SECOND = 20
ERROR_RATE = 0.5
BASELINE_SECONDS = 12
TIME_BUDGET_SECONDS = 225
# Grafana's built-in variables; $__rate_interval for 1s scrapes is 4 scrape intervals.
GRAFANA_BUILTINS = {"__rate_interval": "4s", "__interval": INTERVAL, "__range": "1m"}

FAST_BURN, SLOW_BURN = "PetrelAvailabilitySLOFastBurn", "PetrelAvailabilitySLOSlowBurn"
PAGES = [f"{FAST_BURN}[1h]", f"{FAST_BURN}[6h]"]
TICKETS = [f"{SLOW_BURN}[1d]", f"{SLOW_BURN}[3d]"]
DOWN = ["PetrelDown", "PetrelNotReady"]
# Alert -> (the step that must make it fire, the step that must make it resolve or None).
EXPECTED = {**{k: ("faults on", "faults off") for k in PAGES}, **{k: ("faults on", None) for k in TICKETS},
            **{k: ("kill", "restart") for k in DOWN}}

START = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - START:6.1f}s] {message}", file=sys.stderr, flush=True)


def alert_key(labels: dict) -> str:
    """alertname, plus the window pair for burn-rate alerts (each pair is its own alert)."""
    return labels["alertname"] + (f"[{labels['long_window']}]" if "long_window" in labels else "")


class AlertWatch(threading.Thread):
    """Polls Prometheus' alerts and records every change of state (pending, firing, gone)."""

    def __init__(self, prometheus: live_stack.Prometheus):
        super().__init__(daemon=True)
        self.prometheus = prometheus
        self.lock = threading.Lock()
        self.current = {}
        self.history = []  # (time, key, state or None when gone)
        self.stopped = threading.Event()
        self.last_error = None

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.poll()
            except (OSError, RuntimeError, ValueError) as err:
                # Reported with the failures: a wait that times out may be this, not the alert.
                self.last_error = f"{time.monotonic() - START:.1f}s: {err}"
            self.stopped.wait(0.25)

    def poll(self) -> None:
        states = {}
        for alert in self.prometheus.alerts():
            key = alert_key(alert["labels"])
            if states.get(key) != "firing":
                states[key] = alert["state"]
        now = time.monotonic()
        with self.lock:
            for key in sorted(set(states) | set(self.current)):
                if states.get(key) != self.current.get(key):
                    self.history.append((now, key, states.get(key)))
            self.current = states

    def state(self, key: str):
        with self.lock:
            return self.current.get(key)

    def first(self, key: str, state, since: float):
        with self.lock:
            return next((t for t, k, s in self.history if k == key and s == state and t >= since), None)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class Traffic(threading.Thread):
    """Steady user traffic over a keep-alive connection, counted by status class."""

    def __init__(self, petrel: Petrel):
        super().__init__(daemon=True)
        self.petrel = petrel
        self.counts = Counter()
        self.stopped = threading.Event()

    def run(self) -> None:
        asyncio.run(self.send())

    async def send(self) -> None:
        # The connection reconnects by itself after Petrel closed it (kill -9, restart).
        connection = http1.Connection(HOST, self.petrel.port, timeout=2)
        sent, next_at = 0, time.monotonic()
        while not self.stopped.is_set():
            try:
                response = await connection.request("GET", TRAFFIC_PATHS[sent % len(TRAFFIC_PATHS)],
                                                    {"X-API-Key": self.petrel.api_key})
                self.counts[f"{response.status // 100}xx"] += 1
            except http1.RequestFailed:
                self.counts["refused"] += 1
            sent += 1
            # Keep the rate, but never make up for lost time with a burst.
            next_at = max(next_at + 1 / TRAFFIC_PER_SECOND, time.monotonic() - 1)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class WebhookReceiver:
    """Stands in for the pager and the ticket system: records which receiver got which alert."""

    def __init__(self):
        self.deliveries = []  # (time, receiver, alertname, status)
        deliveries = self.deliveries

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                for alert in payload["alerts"]:
                    deliveries.append((time.monotonic(), self.path.strip("/"), alert["labels"]["alertname"],
                                       alert["status"]))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def first_delivery(self, receiver: str, alertname: str, status: str = "firing"):
        """When receiver first got alertname in status, or None."""
        return next((t for t, *what in self.deliveries if tuple(what) == (receiver, alertname, status)), None)

    def received(self, receiver: str, alertname: str) -> bool:
        return self.first_delivery(receiver, alertname) is not None

    def first_deliveries(self) -> list:
        """The first delivery of each (receiver, alert, status), in order."""
        seen, first = set(), []
        for t, *what in self.deliveries:
            if tuple(what) not in seen:
                seen.add(tuple(what))
                first.append((t, *what))
        return first

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def alertmanager_config(webhook_url: str) -> str:
    """The shipped configuration with every receiver pointed at the local webhook and every
    timing divided by TIME_SCALE, like the rules."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    for receiver in config["receivers"]:
        other = set(receiver) - {"name", "webhook_configs"}
        if other:
            raise SystemExit(f"{ALERTMANAGER_CONFIG}: receiver {receiver['name']} uses {sorted(other)}; "
                             "the live test can only redirect webhook_configs")
        for webhook in receiver.get("webhook_configs", []):
            webhook["url"] = f"{webhook_url}/{receiver['name']}"
    if "resolve_timeout" in config.get("global", {}):
        config["global"]["resolve_timeout"] = promql.scale_duration(config["global"]["resolve_timeout"], TIME_SCALE)
    routes = [config["route"]]
    while routes:
        route = routes.pop()
        for timing in ("group_wait", "group_interval", "repeat_interval"):
            if timing in route:
                route[timing] = promql.scale_duration(route[timing], TIME_SCALE)
        routes += route.get("routes", [])
    return yaml.safe_dump(config, sort_keys=False)


def prometheus_config(rules: Path, petrel_admin_port: int, pod: str, alertmanager_port: int, exporters: list) -> str:
    """Petrel is scraped on its admin listener, as the ServiceMonitor scrapes the Service's admin port."""
    return yaml.safe_dump({
        "global": {"scrape_interval": INTERVAL, "scrape_timeout": INTERVAL, "evaluation_interval": INTERVAL},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
        "scrape_configs": [{"job_name": JOB, "static_configs": [
            {"targets": [f"127.0.0.1:{petrel_admin_port}"], "labels": {"namespace": NAMESPACE, "pod": pod}}]},
            *exporters],
    }, sort_keys=False)


def inhibited_by(alertmanager: live_stack.Alertmanager, target: str, source: str) -> bool:
    """True when Alertmanager holds an active `target` alert inhibited by a `source` alert."""
    alerts = alertmanager.alerts()
    names = {a["fingerprint"]: a["labels"]["alertname"] for a in alerts}
    return any(a["labels"]["alertname"] == target and any(names.get(f) == source for f in a["status"]["inhibitedBy"])
               for a in alerts)


def dashboard_without_data(prometheus: live_stack.Prometheus) -> tuple:
    """(queries, {selection: its variable values}, {selection: where-strings of the queries
    that returned no series}) for each selection of dash.selections()."""
    dashboard = dash.load()
    queries = dash.queries(dashboard)
    chosen = dash.selections(dashboard, prometheus.label_values)
    empty = {selection: [q.where for q in queries
                         if not prometheus.query(dash.substitute(q.expr, {**values, **GRAFANA_BUILTINS}))]
             for selection, values in chosen.items()}
    return queries, chosen, empty


def rule_problems(prometheus: live_stack.Prometheus) -> tuple:
    """(rules checked, names of the rules that read cluster series, problems). Every rule must
    have evaluated without error (health ok). A rule over series that are absent evaluates
    fine to nothing, so each selector of the rules that read cluster series must also select
    at least one series."""
    rules = [rule for group in prometheus.api("rules")["groups"] for rule in group["rules"]]
    problems = [f"rule {r['name']}: health {r['health']}: {r.get('lastError') or 'not evaluated yet'}"
                for r in rules if r["health"] != "ok"]
    cluster_rules = [r for r in rules if promql.metric_names(r["query"]) & promql.CLUSTER_METRICS]
    for rule in cluster_rules:
        for selector in map(promql.selector_text, promql.selectors(rule["query"])):
            if not prometheus.query(selector):
                problems.append(f"rule {rule['name']}: {selector} selects no series")
    return len(rules), [r["name"] for r in cluster_rules], problems


class Run:
    def __init__(self, petrel_bin: str, workdir: Path, stack: contextlib.ExitStack):
        self.workdir = workdir
        self.deadline = START + TIME_BUDGET_SECONDS
        self.failures = []
        self.steps = {}  # step name -> time it happened
        self.notes = []
        self.watch = None
        self.webhook = WebhookReceiver()
        stack.callback(self.webhook.close)
        self.alertmanager = live_stack.Alertmanager(workdir)
        stack.callback(self.alertmanager.stop)
        self.exporters = cluster_exporters.ClusterExporters(NAMESPACE)
        stack.callback(self.exporters.stop)
        self.petrel = Petrel(petrel_bin, workdir / "petrel",
                             {"APP_ENV": "development", **self.exporters.downward_api()})
        stack.callback(self.petrel.stop)
        self.prometheus = live_stack.Prometheus(workdir)
        stack.callback(self.prometheus.stop)
        self.stack = stack

    def expect(self, what: str, condition, timeout: float):
        """Waits for condition within timeout (and the run's time budget); records a failure if not."""
        started = time.monotonic()
        result = wait_until(condition, max(0.0, min(timeout, self.deadline - started)), interval=0.25)
        if result:
            log(f"ok: {what} ({time.monotonic() - started:.1f}s)")
        else:
            self.failures.append(f"{what}: not within {min(timeout, self.deadline - started):.0f}s")
            log(f"FAILED: {what}")
        return result

    def step(self, name: str, action) -> None:
        self.steps[name] = time.monotonic()
        log(f"{name}: {action()}")

    def fault_switch(self, path: str, body: dict | None = None) -> str:
        """The switches are on the admin listener (the public port answers them 404)."""
        response = self.petrel.admin_request("POST", path, body)
        if response.status != 200:
            raise RuntimeError(f"POST {path} answered {response.status}: {response.body[:300]!r}")
        return f"POST {path} {json.dumps(body) if body else ''}".rstrip() + f" -> {response.body.decode()}"

    def kill_petrel(self) -> str:
        self.petrel.stop(signal.SIGKILL)
        return f"kill -9 petrel (pid {self.petrel.pid})"

    def restart_petrel(self) -> str:
        # Both ports as before (the admin port is kept by default): Prometheus' target is unchanged.
        self.petrel.start(self.petrel.port, ready_path="/healthz")
        return f"petrel restarted on the same ports, pid {self.petrel.pid}"

    def start(self) -> None:
        rules = self.workdir / "rules.yaml"
        subprocess.run([sys.executable, str(ROOT / "scripts/gen-monitoring.py"), "--time-scale", str(TIME_SCALE),
                        "--output", str(rules)], check=True)
        missing = promql.CLUSTER_METRICS - live_stack.exported_metric_names(self.exporters.exposition())
        if missing:
            raise RuntimeError(f"the dashboard or rules read {sorted(missing)}, which the cluster stand-in "
                               "does not serve: add them to scripts/lib/cluster_exporters.py, shaped as the real "
                               "exporter emits them")
        self.alertmanager.start(alertmanager_config(self.webhook.url))
        self.exporters.start()
        self.petrel.start(ready_path="/healthz")
        scrape_configs = self.exporters.scrape_configs()
        config = prometheus_config(rules, self.petrel.admin_port, self.exporters.live_pod.name, self.alertmanager.port,
                                   scrape_configs)
        self.prometheus.start(config, [f"--query.lookback-delta={LOOKBACK_DELTA}",
                                       f"--rules.alert.resend-delay={RESEND_DELAY}"])
        log(f"petrel :{self.petrel.port} (admin :{self.petrel.admin_port}) as pod {self.exporters.live_pod.name}, "
            f"prometheus :{self.prometheus.port}, "
            f"alertmanager :{self.alertmanager.port}, cluster stand-in :{self.exporters.server.server_port}, "
            f"rules scaled 1/{TIME_SCALE}, scrape and evaluation every {INTERVAL}")
        jobs = {JOB} | {c["job_name"] for c in scrape_configs}

        def scraped():
            return {s["metric"]["job"] for s in self.prometheus.query("up == 1")}
        if not wait_until(lambda: scraped() >= jobs, 20):
            raise self.prometheus.failure(f"never scraped {sorted(jobs - scraped())} successfully")
        # Before the first scrape, absent(up) makes PetrelDown pending; it must clear.
        if not wait_until(lambda: not self.prometheus.alerts(), 20):
            raise RuntimeError(f"alerts active before any fault: {self.prometheus.alerts()}")
        self.watch = AlertWatch(self.prometheus)
        self.watch.start()
        self.stack.callback(self.watch.stop)
        self.traffic = Traffic(self.petrel)
        self.traffic.start()
        self.stack.callback(self.traffic.stop)

    def fires(self, key: str, timeout: float):
        self.expect(f"{key} firing", lambda: self.watch.state(key) == "firing", timeout)

    def resolves(self, key: str, timeout: float):
        self.expect(f"{key} resolved", lambda: self.watch.state(key) is None, timeout)

    def scenario(self) -> None:
        log(f"baseline: {TRAFFIC_PER_SECOND} requests/s over {', '.join(TRAFFIC_PATHS)} for {BASELINE_SECONDS}s")
        time.sleep(BASELINE_SECONDS)

        before = Counter(self.traffic.counts)
        self.step("faults on", lambda: self.fault_switch("/faults/enable", {"error_rate": ERROR_RATE}))
        for key in PAGES + TICKETS:
            self.fires(key, 45)
        self.expect(f"Alertmanager inhibits {SLOW_BURN} while {FAST_BURN} pages",
                    lambda: inhibited_by(self.alertmanager, SLOW_BURN, FAST_BURN), 15)
        self.expect(f"pager receives {FAST_BURN}", lambda: self.webhook.received("pager", FAST_BURN), 15)
        self.check_dashboard_and_rules()
        faulted = Counter(self.traffic.counts) - before
        self.notes.append(f"traffic while faults were on: {sum(faulted.values())} requests, "
                          f"{faulted['5xx'] / max(1, sum(faulted.values())):.0%} answered 5xx "
                          f"(error_rate {ERROR_RATE})")

        self.step("faults off", lambda: self.fault_switch("/faults/disable"))
        for key in PAGES:
            self.resolves(key, 120)
        if self.expect(f"ticket receives {SLOW_BURN}", lambda: self.webhook.received("ticket", SLOW_BURN), 30):
            self.ticket_held_back_by_page()

        self.step("kill", self.kill_petrel)
        for key in DOWN:
            self.fires(key, 30)
        self.expect("Alertmanager inhibits PetrelNotReady while PetrelDown pages",
                    lambda: inhibited_by(self.alertmanager, "PetrelNotReady", "PetrelDown"), 15)
        self.expect("pager receives PetrelDown", lambda: self.webhook.received("pager", "PetrelDown"), 15)

        self.step("restart", self.restart_petrel)
        for key in DOWN:
            self.resolves(key, 30)

    def check_dashboard_and_rules(self) -> None:
        """Run while the faults page, so that the error-ratio and alert queries have data too."""
        try:
            queries, chosen, empty = dashboard_without_data(self.prometheus)
        except LookupError as err:
            self.failures.append(f"dashboard: {err}")
            return
        cluster = sum(q.reads_cluster_metrics() for q in queries)
        for selection, values in chosen.items():
            picked = ", ".join(f"{k}={v}" for k, v in values.items())
            self.notes.append(f"dashboard, {selection} ({picked}): {len(queries) - len(empty[selection])} of "
                              f"{len(queries)} queries returned data ({cluster} of them read the "
                              "kube-state-metrics/cAdvisor stand-in)")
            self.failures += [f"dashboard query without data ({selection}): {where}" for where in empty[selection]]
        checked, cluster_rules, problems = rule_problems(self.prometheus)
        self.notes.append(f"rules: {checked} evaluated, {len(problems)} problem(s); {len(cluster_rules)} read "
                          f"the stand-in's series ({', '.join(cluster_rules)})")
        self.failures += problems

    def ticket_held_back_by_page(self) -> None:
        """The slow-burn ticket must reach the ticket receiver only once both pages of the same
        SLO have resolved (the second inhibit rule). A second of slack covers AlertWatch polling
        Prometheus later than Prometheus told Alertmanager."""
        resolved = [self.watch.first(key, None, self.steps["faults off"]) for key in PAGES]
        delivered = self.webhook.first_delivery("ticket", SLOW_BURN)
        if None in resolved or delivered < max(resolved) - 1:
            self.failures.append(f"{SLOW_BURN} reached the ticket receiver while {FAST_BURN} was paging")
        else:
            log(f"ok: the ticket was held back until the page resolved ({delivered - max(resolved):.1f}s after)")

    def unexpected_alerts(self) -> list:
        """Every state change of an alert the scenario did not call for, or before its step."""
        problems = []
        for t, key, state in self.watch.history:
            if state is None:
                continue
            fire_step = EXPECTED.get(key, (None,))[0]
            if fire_step is None or t < self.steps.get(fire_step, float("inf")):
                problems.append(f"unexpected alert {key} {state} at {t - START:.1f}s")
        return sorted(set(problems))

    def table(self) -> str:
        rows = [("alert", "fired", "resolved")]
        for key, (fire_step, resolve_step) in EXPECTED.items():
            fired_at = self.watch.first(key, "firing", self.steps.get(fire_step, float("inf")))
            fired = f"{fired_at - self.steps[fire_step]:.1f}s after {fire_step}" if fired_at else "NO"
            if resolve_step is None:
                resolved = "not expected during the test (short window of minutes)"
            else:
                resolved_at = self.watch.first(key, None, self.steps.get(resolve_step, float("inf")))
                resolved = (f"{resolved_at - self.steps[resolve_step]:.1f}s after {resolve_step}" if resolved_at
                            else "NO")
            rows.append((key, fired, resolved))
        rows.append(("", "", ""))
        rows.append(("notification", "delivered", ""))
        for t, receiver, alertname, status in self.webhook.first_deliveries():
            rows.append((f"{receiver} <- {alertname} {status}", self.since_step(t), ""))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)

    def since_step(self, t: float) -> str:
        name, at = max(((n, s) for n, s in self.steps.items() if s <= t), key=lambda step: step[1],
                       default=("start", START))
        return f"{t - at:.1f}s after {name}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--petrel-bin", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="live-alerts-"))
    with contextlib.ExitStack() as stack:
        run = Run(args.petrel_bin, workdir, stack)
        try:
            run.start()
            run.scenario()
        except RuntimeError as err:
            run.failures.append(str(err))
    if run.watch:
        run.failures += run.unexpected_alerts()
        print(run.table())
        if run.failures and run.watch.last_error:
            run.failures.append(f"last error while polling Prometheus' alerts, at {run.watch.last_error}")
    for note in run.notes:
        print(note)
    print(f"total {time.monotonic() - START:.0f}s (budget {TIME_BUDGET_SECONDS}s)")
    if run.failures:
        print("\n".join(f"FAIL {f}" for f in run.failures))
        print(f"logs kept in {workdir}")
        return 1
    shutil.rmtree(workdir)
    print("live-alerts: every expected alert fired and resolved, nothing else fired")
    return 0


if __name__ == "__main__":
    sys.exit(main())
