#!/usr/bin/env python3
"""Checks the example Alertmanager configuration against the alerts Petrel ships.

1. `amtool check-config`.
2. Routing: every alerting rule in deploy/monitoring/rules/petrel.rules.yaml, with its own
   labels plus a namespace, reaches the receiver its severity calls for
   (`amtool config routes test --verify.receivers`), and an alert with an unknown severity
   still reaches a person (the fallback receiver).
3. Inhibition: the source and target matchers of every inhibit rule select at least one
   shipped alert, so renaming an alert cannot silently turn an inhibition off.
What the inhibitions do at run time is exercised by scripts/live-alerts.sh. Needs PyYAML and amtool.
"""
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy/monitoring/alertmanager/alertmanager.yml"
RULES = ROOT / "deploy/monitoring/rules/petrel.rules.yaml"
RECEIVER_BY_SEVERITY = {"page": "pager", "ticket": "ticket"}
FALLBACK_RECEIVER = "ticket"
_MATCHER = re.compile(r'^\s*(\w+)\s*(=~|!~|!=|=)\s*"(.*)"\s*$')


def shipped_alerts() -> list:
    """Label sets of the alerts the rules produce, as far as the rules themselves fix them."""
    rules = yaml.safe_load(RULES.read_text())
    alerts = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                labels = {"alertname": rule["alert"], **{k: str(v) for k, v in rule.get("labels", {}).items()}}
                if labels not in alerts:
                    alerts.append(labels)
    return alerts


def misrouted(labels: dict, receiver: str) -> str | None:
    """None when amtool routes the labels to receiver, else where it routes them."""
    result = subprocess.run(["amtool", "config", "routes", "test", f"--config.file={CONFIG}",
                             f"--verify.receivers={receiver}", *(f"{k}={v}" for k, v in labels.items())],
                            capture_output=True, text=True)
    if result.returncode == 0:
        return None
    return (result.stdout.strip().splitlines() or [result.stderr.strip()])[0]


def matches(matcher: str, labels: dict) -> bool:
    """Alertmanager matcher semantics: regexes are anchored, a missing label is the empty string."""
    m = _MATCHER.match(matcher)
    if not m:
        raise ValueError(f"cannot read matcher {matcher!r}")
    name, op, value = m.groups()
    actual = labels.get(name, "")
    if op in ("=~", "!~"):
        return bool(re.fullmatch(value, actual)) == (op == "=~")
    return (actual == value) == (op == "=")


def main() -> int:
    problems = []
    result = subprocess.run(["amtool", "check-config", str(CONFIG)], capture_output=True, text=True)
    if result.returncode != 0:
        problems.append(f"amtool check-config:\n{result.stdout}{result.stderr}")

    alerts = shipped_alerts()
    cases = [({**labels, "namespace": "petrel"},
              RECEIVER_BY_SEVERITY.get(labels.get("severity"), "(no receiver for this severity)"))
             for labels in alerts]
    cases.append(({"alertname": "SomethingNew", "severity": "unknown", "namespace": "petrel"}, FALLBACK_RECEIVER))
    for labels, receiver in cases:
        actual = misrouted(labels, receiver)
        if actual is not None:
            problems.append(f"routing: {labels} should reach {receiver}, amtool routes it to: {actual}")

    config = yaml.safe_load(CONFIG.read_text())
    for number, rule in enumerate(config.get("inhibit_rules", []), 1):
        for side in ("source_matchers", "target_matchers"):
            if not any(all(matches(m, alert) for m in rule.get(side, [])) for alert in alerts):
                problems.append(f"inhibit rule {number}: {side} {rule.get(side)} select none of the alerts "
                                f"in {RULES.name}")

    for problem in problems:
        print(f"FAIL {problem}")
    inhibit_rules = len(config.get("inhibit_rules", []))
    print(f"{CONFIG.name}: check-config, {len(cases)} routing cases, {inhibit_rules} inhibit rules: "
          + ("ok" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
