"""Cross-checks between the rendered manifests and the service they deploy.

Catches the drift that schema and policy scanners cannot see:
  probes      every Petrel probe hits a real route on the real port, liveness on a liveness path,
              readiness on a readiness path; the ALB health check and the ServiceMonitor too
  drain       terminationGracePeriodSeconds > SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS + 1,
              and readiness notices a drain (period x failureThreshold) within the drain
  env         every variable the manifests (and the compose stack) give Petrel is one
              `petrel --help` lists
  workdir     no Petrel container runs from a writable volume: the service reads ./.env from its
              working directory, and the image's /app is read-only on purpose
  apikeys     API_KEYS_FILE is set and lies on a whole Secret volume: a subPath mount never
              sees a rotated Secret, and without keys every write is refused
  parity      Kustomize prod and Helm prod produce the same (kind, name) set

usage: deploy_consistency.py OUT_DIR [PETREL_HELP_FILE]
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "deploy/compose/compose.yaml"

# The service's contract (DESIGN.md, runtime contract). One port serves API, probes, metrics.
PORT, PORT_NAME = 8080, "http"
LIVENESS_PATHS = {"/healthz", "/livez", "/alive", "/health"}
READINESS_PATHS = {"/readiness", "/readyz", "/ready"}
METRICS_PATH = "/metrics"
# Service defaults, used when a render does not set the variable.
DEFAULTS = {"SHUTDOWN_DRAIN_SECONDS": 5, "SHUTDOWN_TIMEOUT_SECONDS": 10}
# Helm-only or Kustomize-only by design: Helm does not own its release namespace
# (`helm install --create-namespace` / docs/deploy.md labels it), and helm test hooks.
PARITY_EXEMPT_KINDS = {"Namespace"}
HASH_SUFFIX = re.compile(r"-[a-z0-9]{10}$")  # kustomize's generator suffix on ConfigMaps/Secrets
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}


def load(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def pod_spec(obj: dict) -> dict | None:
    if obj["kind"] == "Pod":
        return obj["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if obj["kind"] in WORKLOADS:
        return obj["spec"]["template"]["spec"]
    return None


def petrel_workloads(docs: list[dict]):
    """(object, pod spec, container) for every container named petrel (the service itself)."""
    for obj in docs:
        spec = pod_spec(obj)
        for container in (spec or {}).get("containers", []):
            if container["name"] == "petrel":
                yield obj, spec, container


def petrel_env(docs: list[dict], container: dict) -> dict[str, str | None]:
    """Variables the container gets: env entries plus the keys of envFrom ConfigMaps/Secrets."""
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in source:
                ref = by_name.get((kind, source[key]["name"]))
                if ref is None:
                    raise SystemExit(f"FAIL envFrom names a missing {kind} {source[key]['name']}")
                env.update({k: str(v) for k, v in (ref.get("data") or ref.get("stringData") or {}).items()})
    for var in container.get("env", []):
        env[var["name"]] = var.get("value")
    return env


def check_probes(name: str, docs: list[dict]) -> list[str]:
    problems = []
    expected = {"livenessProbe": LIVENESS_PATHS, "startupProbe": LIVENESS_PATHS | READINESS_PATHS,
                "readinessProbe": READINESS_PATHS}
    for obj, _, container in petrel_workloads(docs):
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        if ports.get(PORT_NAME) != PORT:
            problems.append(f"{where}: container port {PORT_NAME!r} is {ports.get(PORT_NAME)}, the service listens on {PORT}")
        for probe, paths in expected.items():
            http = container.get(probe, {}).get("httpGet")
            if http is None:
                problems.append(f"{where}: {probe} is not an HTTP probe on the service")
                continue
            if http["path"] not in paths:
                problems.append(f"{where}: {probe} path {http['path']} is not one of {sorted(paths)}")
            if http["port"] not in (PORT, PORT_NAME):
                problems.append(f"{where}: {probe} port {http['port']} is not {PORT_NAME}/{PORT}")
    for obj in docs:
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        annotations = obj["metadata"].get("annotations") or {}
        path = annotations.get("alb.ingress.kubernetes.io/healthcheck-path")
        if path is not None and path not in READINESS_PATHS:
            problems.append(f"{where}: ALB health check {path} is not a readiness path")
        if obj["kind"] == "ServiceMonitor":
            for endpoint in obj["spec"]["endpoints"]:
                if endpoint.get("path") != METRICS_PATH or endpoint.get("port") != PORT_NAME:
                    problems.append(f"{where}: scrapes {endpoint.get('port')}{endpoint.get('path')}, expected {PORT_NAME}{METRICS_PATH}")
    return problems


def check_drain(name: str, docs: list[dict]) -> list[str]:
    problems = []
    for obj, spec, container in petrel_workloads(docs):
        if obj["kind"] == "Pod":
            continue
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        env = petrel_env(docs, container)
        drain = int(env.get("SHUTDOWN_DRAIN_SECONDS") or DEFAULTS["SHUTDOWN_DRAIN_SECONDS"])
        timeout = int(env.get("SHUTDOWN_TIMEOUT_SECONDS") or DEFAULTS["SHUTDOWN_TIMEOUT_SECONDS"])
        grace = spec.get("terminationGracePeriodSeconds", 30)
        # + 1: the grace cancelled work gets before the process ends itself (ShutdownDeadline).
        if grace <= drain + timeout + 1:
            problems.append(f"{where}: terminationGracePeriodSeconds {grace} <= drain {drain} + timeout {timeout} + 1")
        readiness = container.get("readinessProbe", {})
        noticed = readiness.get("periodSeconds", 10) * readiness.get("failureThreshold", 3)
        if noticed >= drain:
            problems.append(f"{where}: readiness notices a drain after up to {noticed}s, not within the {drain}s drain")
    return problems


def check_env(name: str, docs: list[dict], known: set[str]) -> list[str]:
    problems = []
    for obj, _, container in petrel_workloads(docs):
        unknown = sorted(set(petrel_env(docs, container)) - known)
        if unknown:
            problems.append(f"{name}: {obj['kind']}/{obj['metadata']['name']} sets {', '.join(unknown)}, not listed by `petrel --help`")
    return problems


def compose_petrel() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]["petrel"]


def check_compose_env(known: set[str]) -> list[str]:
    environment = compose_petrel().get("environment") or {}
    names = set(environment) if isinstance(environment, dict) else {e.split("=", 1)[0] for e in environment}
    unknown = sorted(names - known)
    return [f"compose: service petrel sets {', '.join(unknown)}, not listed by `petrel --help`"] if unknown else []


def under(path: str, mounts: list[str]) -> bool:
    return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts)


def check_workdir(name: str, docs: list[dict]) -> list[str]:
    """The root filesystem is read-only, so only the mounts are writable."""
    problems = []
    for obj, _, container in petrel_workloads(docs):
        workdir = container.get("workingDir")
        writable = [m["mountPath"] for m in container.get("volumeMounts", []) if not m.get("readOnly")]
        if workdir is not None and under(workdir, writable):
            problems.append(f"{name}: {obj['kind']}/{obj['metadata']['name']} runs from {workdir}, a writable volume (a planted .env there would be read)")
    return problems


def check_api_keys(name: str, docs: list[dict]) -> list[str]:
    problems = []
    for obj, spec, container in petrel_workloads(docs):
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        path = petrel_env(docs, container).get("API_KEYS_FILE")
        if not path:
            problems.append(f"{where}: API_KEYS_FILE is not set, so every write answers 401")
            continue
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mount = next((m for m in container.get("volumeMounts", []) if under(path, [m["mountPath"]])), None)
        if mount is None or "secret" not in volumes.get(mount["name"], {}):
            problems.append(f"{where}: API_KEYS_FILE {path} is not on a Secret volume")
        elif mount.get("subPath"):
            problems.append(f"{where}: API_KEYS_FILE {path} is mounted with subPath, which never sees a rotated Secret")
    return problems


def check_compose_workdir() -> list[str]:
    petrel = compose_petrel()
    workdir = petrel.get("working_dir")
    writable = [t.split(":")[0] for t in petrel.get("tmpfs") or []]
    writable += [v.split(":")[1] for v in petrel.get("volumes") or [] if isinstance(v, str) and not v.endswith(":ro")]
    if workdir is not None and under(workdir, writable):
        return [f"compose: service petrel runs from {workdir}, a writable mount (a planted .env there would be read)"]
    return []


def identities(docs: list[dict], kustomize: bool) -> set[tuple[str, str]]:
    ids = set()
    for obj in docs:
        if obj["kind"] in PARITY_EXEMPT_KINDS or "helm.sh/hook" in (obj["metadata"].get("annotations") or {}):
            continue
        name = obj["metadata"]["name"]
        if kustomize and obj["kind"] in ("ConfigMap", "Secret"):
            name = HASH_SUFFIX.sub("", name)
        ids.add((obj["kind"], name))
    return ids


def main() -> int:
    out = Path(sys.argv[1])
    help_file = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    known = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{4,}\b", help_file.read_text())) if help_file else None
    renders = {p.stem: load(p) for p in sorted(out.glob("*.yaml"))}
    results: dict[str, list[str]] = {"probes": [], "drain": [], "env": [], "workdir": [], "apikeys": [], "parity": []}
    for name, docs in renders.items():
        results["probes"] += check_probes(name, docs)
        results["drain"] += check_drain(name, docs)
        results["workdir"] += check_workdir(name, docs)
        results["apikeys"] += check_api_keys(name, docs)
        if known is not None:
            results["env"] += check_env(name, docs, known)
    if known is not None:
        results["env"] += check_compose_env(known)
    results["workdir"] += check_compose_workdir()
    kustomize, chart = identities(renders["kustomize-prod"], True), identities(renders["helm-prod"], False)
    results["parity"] += [f"only in Kustomize prod: {k}/{n}" for k, n in sorted(kustomize - chart)]
    results["parity"] += [f"only in Helm prod: {k}/{n}" for k, n in sorted(chart - kustomize)]

    for check, problems in results.items():
        for problem in problems:
            print(f"FAIL {check}: {problem}")
        skipped = check == "env" and known is None
        print(f"{check:8}{'SKIPPED (no petrel binary)' if skipped else 'ok' if not problems else f'{len(problems)} problem(s)'}"
              f"{f' across {len(renders)} renders' if check != 'parity' else f' ({len(kustomize)} objects)'}"
              f"{' + compose' if check in ('env', 'workdir') else ''}")
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
