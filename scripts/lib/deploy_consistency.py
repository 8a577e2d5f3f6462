"""Cross-checks between the rendered manifests and the service they deploy.

Catches the drift that schema and policy scanners cannot see:
  probes      every Petrel probe hits a real route on the serving port, liveness on a liveness
              path, readiness on a readiness path; the ALB health check too
  admin       the admin listener (ADMIN_PORT: /metrics, fault and readiness switches, /status,
              /delay) is the container port "admin" (9797, ADMIN_PORT agrees), every Petrel Service
              has a port "admin" to it, the ServiceMonitor scrapes /metrics there, no Ingress or
              HTTPRoute routes to it (every backend is the Service's serving port), and every
              NetworkPolicy rule that admits it (by number, name or by naming no ports) admits only
              the monitoring namespace; where a ServiceMonitor is rendered, a rule admits Prometheus
  drain       terminationGracePeriodSeconds > SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS + 1,
              and readiness notices a drain (period x failureThreshold) within the drain
  env         every variable the manifests (and the compose stack) give Petrel is one
              `petrel --help` lists
  workdir     no Petrel container runs from a writable volume: the service reads ./.env from its
              working directory, and the image's /app is read-only on purpose
  apikeys     API_KEYS_FILE is set and lies on a whole Secret volume: a subPath mount never
              sees a rotated Secret, and without keys every write is refused
  hpa         a Deployment an HPA scales carries no spec.replicas (every apply would reset the
              HPA's choice), and every HPA targets a Deployment of its render
  counter     a Petrel that keeps a store in SQLite (COUNTER_STORE or CITY_STORE=sqlite) runs
              exactly one pod: several would each count their own hits and keep their own cities
  redis       every bundled Redis keeps its data: the server runs with `--appendonly yes` and its
              /data is a volume claim of its StatefulSet (an emptyDir only in renders that turn
              persistence off on purpose); the compose stack's Redis appends to a named volume;
              Kustomize and Helm give Redis the same arguments in staging and prod. A Redis that
              comes back empty restarts the hit counter, and Petrel hands numbers out twice
  bare        renders for a cluster without CRDs (the plain `helm install`, prod values on a
              bare cluster, the kind paths) contain no custom resource
  starts      on the kind paths and the plain `helm install`, every pod's Secrets, ConfigMaps,
              claims, ServiceAccount and PriorityClass are in the render or optional: nothing
              made out of band is needed for the pods to start
  routes      every Ingress and HTTPRoute backend is a Service port of its render
  namespace   every namespaced object names the namespace (a component applied where no
              namespace is set would land its objects in "default")
  images      third-party images are pinned by digest (name:tag@sha256:...); Petrel's by tag
  parity      Kustomize and Helm give the same (kind, name) set for staging and for prod, the
              same ports on each Service, container and NetworkPolicy rule of that set, and the
              Namespace the Helm deploy path labels (.github/workflows/deploy-environment.yml)
              carries exactly the labels of each overlay's Namespace

usage: deploy_consistency.py OUT_DIR [PETREL_HELP_FILE]
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy/compose/compose.yaml"
DEPLOY_WORKFLOW = ROOT / ".github/workflows/deploy-environment.yml"
OVERLAYS = ROOT / "deploy/kubernetes/overlays"

# The service's contract (docs/contract.md). The serving port: the API, the page and the probes.
PORT, PORT_NAME = 8080, "http"
# The admin listener (ADMIN_PORT): /metrics and the operator endpoints; never routed from the edge.
ADMIN_PORT, ADMIN_PORT_NAME = 9797, "admin"
# Where Prometheus runs (components/monitoring, the chart's monitoring.prometheusNamespace default);
# a Helm render's values file may name another.
MONITORING_NAMESPACE = "monitoring"
LIVENESS_PATHS = {"/healthz", "/livez", "/alive", "/health"}
READINESS_PATHS = {"/readiness", "/readyz", "/ready"}
METRICS_PATH = "/metrics"
# Service defaults, used when a render does not set the variable.
DEFAULTS = {"SHUTDOWN_DRAIN_SECONDS": 5, "SHUTDOWN_TIMEOUT_SECONDS": 10}
# Helm does not own its release namespace: the deploy workflow creates and labels it, so its
# Namespace is compared with Kustomize's separately (namespace_parity). Helm test hooks aside.
PARITY_EXEMPT_KINDS = {"Namespace"}
PARITY_ENVIRONMENTS = ("staging", "prod")
# Kinds a cluster serves without any CRD (the API groups of Kubernetes itself).
BUILTIN_GROUPS = {"", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "scheduling.k8s.io",
                  "storage.k8s.io", "rbac.authorization.k8s.io"}
# Renders that must be installable on a bare cluster and start there with nothing made out of band.
# Kustomize renders meant for a cluster without CRDs (kind); Helm renders say so in renders.json.
BARE_KUSTOMIZE = ("kustomize-dev",)
STARTS_ON_ITS_OWN = ("helm-default", "helm-dev", "kustomize-dev", "kustomize-dev+gateway-api")
PETREL_IMAGE = "ghcr.io/petrel-sre/petrel"
# Renders whose values turn the bundled Redis's volume off on purpose (ci/redis-ephemeral-values.yaml).
REDIS_EPHEMERAL = ("helm-redis-ephemeral",)
REDIS_DATA = "/data"
DIGEST = re.compile(r"^[a-z0-9.:/_-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")
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
    return problems


def petrel_pods_selected(selector: dict, docs: list[dict]) -> bool:
    """Whether a label selector (matchLabels only, as the kit writes them) selects Petrel's pods."""
    labels = [(obj.get("spec", {}).get("template", {}).get("metadata", {}).get("labels") or {})
              for obj, _, _ in petrel_workloads(docs) if obj["kind"] != "Pod"]
    wanted = selector.get("matchLabels", selector) or {}
    return any(all(pod.get(k) == v for k, v in wanted.items()) for pod in labels)


def rule_admits(rule: dict, port: int, name: str) -> bool:
    """Whether a NetworkPolicy ingress rule admits a container port (no ports: every port)."""
    ports = rule.get("ports")
    if not ports:
        return True
    for entry in ports:
        value = entry.get("port")
        if value is None or value == name:
            return True
        if isinstance(value, int) and value <= port <= entry.get("endPort", value):
            return True
    return False


def monitoring_peer(peer: dict, namespace: str) -> bool:
    """A peer in the monitoring namespace only: a namespaceSelector naming exactly that namespace."""
    selector = peer.get("namespaceSelector")
    return (set(peer) <= {"namespaceSelector", "podSelector"} and selector is not None
            and not selector.get("matchExpressions")
            and selector.get("matchLabels") == {"kubernetes.io/metadata.name": namespace})


def check_admin(name: str, docs: list[dict], monitoring_namespace: str) -> list[str]:
    problems = []
    for obj, _, container in petrel_workloads(docs):
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        if obj["kind"] != "Pod" and ports.get(ADMIN_PORT_NAME) != ADMIN_PORT:
            problems.append(f"{where}: container port {ADMIN_PORT_NAME!r} is {ports.get(ADMIN_PORT_NAME)}, "
                            f"the admin listener is on {ADMIN_PORT}")
        setting = petrel_env(docs, container).get("ADMIN_PORT")
        if setting is not None and setting != str(ADMIN_PORT):
            problems.append(f"{where}: ADMIN_PORT={setting}, but the container port {ADMIN_PORT_NAME!r} is {ADMIN_PORT}")
    services = [d for d in docs if d["kind"] == "Service" and petrel_pods_selected(d["spec"].get("selector") or {}, docs)]
    for svc in services:
        targets = {p.get("name"): p.get("targetPort") for p in svc["spec"]["ports"]}
        if targets.get(ADMIN_PORT_NAME) not in (ADMIN_PORT_NAME, ADMIN_PORT):
            problems.append(f"{name}: Service/{svc['metadata']['name']} has no port {ADMIN_PORT_NAME!r} to the admin listener")
    by_name = {svc["metadata"]["name"]: svc for svc in services}

    def serving(where: str, service: str, port) -> None:
        """A route's backend must be the serving port of Petrel's Service."""
        svc = by_name.get(service)
        if svc is None:
            return  # check_routes reports backends that are not in the render
        entry = next((p for p in svc["spec"]["ports"] if port in (p.get("name"), p["port"])), None)
        if entry is not None and entry.get("targetPort") not in (PORT_NAME, PORT):
            problems.append(f"{where}: routes to Service {service} port {port} (target {entry.get('targetPort')}), "
                            f"not the serving port {PORT_NAME}: the edge must never reach the admin listener")

    for where, service, port in route_backends(docs):
        serving(f"{name}: {where}", service, port)
    scraped = False
    for obj in docs:
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] == "ServiceMonitor":
            for endpoint in obj["spec"]["endpoints"]:
                if endpoint.get("path") != METRICS_PATH or endpoint.get("port") != ADMIN_PORT_NAME:
                    problems.append(f"{where}: scrapes {endpoint.get('port')}{endpoint.get('path')}, "
                                    f"expected {ADMIN_PORT_NAME}{METRICS_PATH}")
        elif obj["kind"] == "NetworkPolicy" and "Ingress" in obj["spec"].get("policyTypes", ["Ingress"]):
            if not petrel_pods_selected(obj["spec"].get("podSelector") or {}, docs):
                continue
            for rule in obj["spec"].get("ingress") or []:
                if not rule_admits(rule, ADMIN_PORT, ADMIN_PORT_NAME):
                    continue
                peers = rule.get("from") or []
                strangers = [peer for peer in peers if not monitoring_peer(peer, monitoring_namespace)]
                if not peers or strangers:
                    problems.append(f"{where}: admits the admin port {ADMIN_PORT} from "
                                    f"{strangers or 'everywhere'}; only namespace {monitoring_namespace} may reach it")
                elif "helm.sh/hook" not in (obj["metadata"].get("annotations") or {}):
                    scraped = True
    if any(d["kind"] == "ServiceMonitor" for d in docs) and not scraped:
        problems.append(f"{name}: a ServiceMonitor scrapes the admin port, but no NetworkPolicy admits "
                        f"namespace {monitoring_namespace} to it")
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


def check_hpa(name: str, docs: list[dict]) -> list[str]:
    problems = []
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for hpa in (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        deployment = deployments.get(target["name"]) if target["kind"] == "Deployment" else None
        if deployment is None:
            problems.append(f"{name}: HorizontalPodAutoscaler/{hpa['metadata']['name']} scales "
                            f"{target['kind']}/{target['name']}, which the render does not contain")
        elif "replicas" in deployment["spec"]:
            problems.append(f"{name}: Deployment/{target['name']} sets spec.replicas "
                            f"({deployment['spec']['replicas']}) although HorizontalPodAutoscaler/"
                            f"{hpa['metadata']['name']} scales it: every apply resets the HPA's count")
    return problems


def check_counter(name: str, docs: list[dict]) -> list[str]:
    problems = []
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    for obj, _, container in petrel_workloads(docs):
        if obj["kind"] != "Deployment":
            continue
        env = petrel_env(docs, container)
        sqlite = [v for v in ("COUNTER_STORE", "CITY_STORE") if (env.get(v) or "sqlite") == "sqlite"]
        if not sqlite:
            continue
        where = f"{name}: Deployment/{obj['metadata']['name']}"
        if obj["metadata"]["name"] in scaled:
            problems.append(f"{where} keeps {' and '.join(sqlite)} in SQLite but an HPA scales it: each pod would keep its own")
        elif obj["spec"].get("replicas", 1) != 1:
            problems.append(f"{where} keeps {' and '.join(sqlite)} in SQLite on {obj['spec']['replicas']} replicas: each pod would keep its own")
    return problems


def redis_containers(docs: list[dict]):
    """(object, pod spec, container) for every Redis server container of a render."""
    for obj in docs:
        spec = pod_spec(obj)
        for container in (spec or {}).get("containers", []):
            if container["name"] == "redis" or "/redis:" in container.get("image", ""):
                yield obj, spec, container


def appends(args: list) -> bool:
    """redis-server arguments that turn the append-only file on (its default is off)."""
    args = [str(a) for a in args]
    return any(a == "--appendonly" and i + 1 < len(args) and args[i + 1] == "yes" for i, a in enumerate(args))


def check_redis(name: str, docs: list[dict]) -> list[str]:
    problems = []
    for obj, spec, container in redis_containers(docs):
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        if not appends(container.get("command", []) + container.get("args", [])):
            problems.append(f"{where}: redis runs without --appendonly yes: a restart loses the hit counter")
        mount = next((m for m in container.get("volumeMounts", []) if m["mountPath"] == REDIS_DATA), None)
        if mount is None:
            problems.append(f"{where}: nothing is mounted at {REDIS_DATA}, where redis writes its append-only file")
            continue
        claims = {c["metadata"]["name"] for c in obj["spec"].get("volumeClaimTemplates", [])}
        if mount["name"] in claims:
            continue
        volume = next((v for v in spec.get("volumes", []) if v["name"] == mount["name"]), {})
        if not (name in REDIS_EPHEMERAL and "emptyDir" in volume):
            problems.append(f"{where}: {REDIS_DATA} is not a volume claim of the StatefulSet: the counter would not survive the pod")
    return problems


def check_compose_redis() -> list[str]:
    compose = yaml.safe_load(COMPOSE.read_text())
    redis = compose["services"].get("redis")
    if redis is None:
        return []
    problems = []
    command = redis.get("command") or []
    if not appends(command.split() if isinstance(command, str) else command):
        problems.append("compose: service redis runs without --appendonly yes: a restart loses the hit counter")
    named = set(compose.get("volumes") or {})
    sources = [v.split(":")[0] for v in redis.get("volumes") or [] if isinstance(v, str) and v.split(":")[1] == REDIS_DATA]
    if not any(source in named for source in sources):
        problems.append(f"compose: service redis has no named volume at {REDIS_DATA}: `docker compose down` and up would lose the counter")
    return problems


def redis_parity(environment: str, kustomize: list[dict], chart: list[dict]) -> list[str]:
    def args(docs: list[dict]) -> list:
        return sorted(" ".join(repr(str(a)) for a in c.get("command", []) + c.get("args", []))
                      for _, _, c in redis_containers(docs))
    if args(kustomize) != args(chart):
        return [f"{environment}: Redis runs with {args(kustomize)} from Kustomize but {args(chart)} from Helm"]
    return []


def group(obj: dict) -> str:
    return obj["apiVersion"].rpartition("/")[0]


def check_bare(name: str, docs: list[dict], bare: bool) -> list[str]:
    if not bare:
        return []
    return [f"{name}: {obj['kind']}/{obj['metadata']['name']} ({obj['apiVersion']}) needs a CRD, "
            f"but this render is for a cluster without any" for obj in docs if group(obj) not in BUILTIN_GROUPS]


def pod_templates(docs: list[dict]):
    for obj in docs:
        spec = pod_spec(obj)
        if spec is not None and "helm.sh/hook" not in (obj["metadata"].get("annotations") or {}):
            yield obj, spec


def check_starts(name: str, docs: list[dict]) -> list[str]:
    """Everything a pod needs from the API server is rendered, or optional."""
    problems = []
    present = {(d["kind"], HASH_SUFFIX.sub("", d["metadata"]["name"]) if name.startswith("kustomize") else d["metadata"]["name"])
               for d in docs}
    present |= {(d["kind"], d["metadata"]["name"]) for d in docs}

    def need(where: str, kind: str, ref: str | None, optional: bool = False) -> None:
        if ref and not optional and (kind, ref) not in present:
            problems.append(f"{where} needs {kind}/{ref}, which is neither in the render nor optional")

    for obj, spec in pod_templates(docs):
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        need(where, "ServiceAccount", spec.get("serviceAccountName"))
        need(where, "PriorityClass", spec.get("priorityClassName"))
        claims = {c["metadata"]["name"] for c in obj["spec"].get("volumeClaimTemplates", [])}
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                need(where, "Secret", volume["secret"]["secretName"], volume["secret"].get("optional", False))
            if "configMap" in volume:
                need(where, "ConfigMap", volume["configMap"]["name"], volume["configMap"].get("optional", False))
            if "persistentVolumeClaim" in volume and volume["persistentVolumeClaim"]["claimName"] not in claims:
                need(where, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            for source in container.get("envFrom", []):
                for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if key in source:
                        need(where, kind, source[key]["name"], source[key].get("optional", False))
            for var in container.get("env", []):
                for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    ref = (var.get("valueFrom") or {}).get(key)
                    if ref:
                        need(where, kind, ref["name"], ref.get("optional", False))
    return problems


def service_ports(docs: list[dict]) -> dict[str, set]:
    ports: dict[str, set] = {}
    for svc in (d for d in docs if d["kind"] == "Service"):
        ports[svc["metadata"]["name"]] = {p["port"] for p in svc["spec"]["ports"]} | {p.get("name") for p in svc["spec"]["ports"]}
    return ports


def check_routes(name: str, docs: list[dict]) -> list[str]:
    problems = []
    ports = service_ports(docs)

    def backend(where: str, service: str, port) -> None:
        if service not in ports:
            problems.append(f"{where}: backend Service {service} is not in the render")
        elif port not in ports[service]:
            problems.append(f"{where}: Service {service} has no port {port} (it has {sorted(map(str, ports[service]))})")

    for where, service, port in route_backends(docs):
        backend(f"{name}: {where}", service, port)
    for obj in docs:
        if obj["kind"] == "HTTPRoute":
            where = f"{name}: HTTPRoute/{obj['metadata']['name']}"
            if not obj["spec"].get("parentRefs"):
                problems.append(f"{where}: no parentRefs, so no Gateway serves it")
            if any(not rule.get("backendRefs") for rule in obj["spec"].get("rules", [])):
                problems.append(f"{where}: a rule without backendRefs")
    return problems


def route_backends(docs: list[dict]):
    """(Kind/name, Service, port) for every backend an Ingress (default backend included) or an
    HTTPRoute sends traffic to."""
    for obj in docs:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] == "Ingress":
            services = [path["backend"]["service"] for rule in obj["spec"].get("rules", []) for path in rule["http"]["paths"]]
            default = (obj["spec"].get("defaultBackend") or {}).get("service")
            for svc in services + ([default] if default else []):
                yield where, svc["name"], svc["port"].get("name") or svc["port"].get("number")
        elif obj["kind"] == "HTTPRoute":
            for rule in obj["spec"].get("rules", []):
                for ref in rule.get("backendRefs") or []:
                    yield where, ref["name"], ref.get("port")


CLUSTER_SCOPED = {"Namespace", "PriorityClass", "StorageClass", "ClusterRole", "ClusterRoleBinding",
                  "CustomResourceDefinition", "IngressClass"}


def check_namespace(name: str, docs: list[dict]) -> list[str]:
    return [f"{name}: {obj['kind']}/{obj['metadata']['name']} has no metadata.namespace" for obj in docs
            if obj["kind"] not in CLUSTER_SCOPED and not obj["metadata"].get("namespace")]


def check_images(name: str, docs: list[dict]) -> list[str]:
    problems = []
    for obj, spec in ((o, pod_spec(o)) for o in docs):
        for container in (spec or {}).get("initContainers", []) + (spec or {}).get("containers", []):
            image, where = container["image"], f"{name}: {obj['kind']}/{obj['metadata']['name']} container {container['name']}"
            if image.split("@")[0].rsplit(":", 1)[0] == PETREL_IMAGE:
                if ":" not in image.split("@")[0].rsplit("/", 1)[-1] or image.split("@")[0].endswith(":latest"):
                    problems.append(f"{where}: Petrel's image {image} has no release tag")
            elif not DIGEST.match(image):
                problems.append(f"{where}: {image} is not pinned by digest (name:tag@sha256:...)")
    return problems


def helm_path_namespace(environment: str) -> dict:
    """The Namespace deploy-environment.yml creates for ENVIRONMENT, from the labels its step names."""
    workflow = yaml.safe_load(DEPLOY_WORKFLOW.read_text())
    step = next((s for s in workflow["jobs"]["deploy"]["steps"] if "NAMESPACE_LABELS" in (s.get("env") or {})), None)
    if step is None:
        raise SystemExit(f"FAIL parity: no step of {DEPLOY_WORKFLOW.name} names NAMESPACE_LABELS")
    for var in ("NAMESPACE_LABELS", "ALB_NAMESPACE_LABELS"):
        if f'"${var}"' not in step["run"]:
            raise SystemExit(f"FAIL parity: the namespace step of {DEPLOY_WORKFLOW.name} does not apply ${var}")
    words = step["env"]["NAMESPACE_LABELS"].split()
    # The step adds the ALB labels where the environment's overlay uses components/ingress-alb.
    overlay = (OVERLAYS / environment / "kustomization.yaml").read_text()
    if re.search(r"components/ingress-alb$", overlay, re.M):
        words += step["env"]["ALB_NAMESPACE_LABELS"].split()
    return {"name": workflow["env"]["NAMESPACE"], "labels": dict(w.split("=", 1) for w in words)}


def namespace_parity(environment: str, docs: list[dict]) -> list[str]:
    namespaces = [d for d in docs if d["kind"] == "Namespace"]
    if len(namespaces) != 1:
        return [f"kustomize-{environment} renders {len(namespaces)} Namespaces, expected 1"]
    kustomize = {"name": namespaces[0]["metadata"]["name"], "labels": namespaces[0]["metadata"].get("labels") or {}}
    helm_path = helm_path_namespace(environment)
    problems = []
    if kustomize["name"] != helm_path["name"]:
        problems.append(f"{environment}: Kustomize's Namespace is {kustomize['name']}, the deploy workflow's {helm_path['name']}")
    for key in sorted(set(kustomize["labels"]) | set(helm_path["labels"])):
        ours, theirs = kustomize["labels"].get(key), helm_path["labels"].get(key)
        if ours != theirs:
            problems.append(f"{environment}: Namespace label {key} is {ours!r} in Kustomize, {theirs!r} on the Helm deploy path")
    return problems


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


def ports_of(obj: dict) -> list | None:
    """What the parity check compares beyond names: Service ports, container ports, policy ports."""
    if obj["kind"] == "Service":
        return sorted((p.get("name", ""), p["port"], str(p.get("targetPort", ""))) for p in obj["spec"]["ports"])
    if obj["kind"] == "NetworkPolicy":
        # A rule without ports admits every port.
        return sorted(sorted((p.get("protocol", "TCP"), str(p.get("port", "all"))) for p in rule.get("ports") or [{"port": "all"}])
                      for rule in obj["spec"].get("ingress") or [])
    spec = pod_spec(obj)
    if spec is not None:
        return sorted((c["name"], p.get("name", ""), p["containerPort"]) for c in spec.get("containers", [])
                      for p in c.get("ports", []))
    return None


def ports_parity(environment: str, kustomize: list[dict], chart: list[dict]) -> list[str]:
    def index(docs: list[dict], strip: bool) -> dict:
        return {(d["kind"], HASH_SUFFIX.sub("", d["metadata"]["name"]) if strip else d["metadata"]["name"]): d
                for d in docs if "helm.sh/hook" not in (d["metadata"].get("annotations") or {})}
    ours, theirs = index(kustomize, True), index(chart, False)
    problems = []
    for key in sorted(set(ours) & set(theirs)):
        a, b = ports_of(ours[key]), ports_of(theirs[key])
        if a != b:
            problems.append(f"{environment}: {key[0]}/{key[1]} ports differ: Kustomize {a}, Helm {b}")
    return problems


def monitoring_namespace(described: dict) -> str:
    """Prometheus' namespace for a render: a Helm values file may set monitoring.prometheusNamespace."""
    values = described.get("values")
    if described.get("tool") != "helm" or not values:
        return MONITORING_NAMESPACE
    loaded = yaml.safe_load((ROOT / values).read_text()) or {}
    return (loaded.get("monitoring") or {}).get("prometheusNamespace") or MONITORING_NAMESPACE


def main() -> int:
    out = Path(sys.argv[1])
    help_file = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    known = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{4,}\b", help_file.read_text())) if help_file else None
    renders = {p.stem: load(p) for p in sorted(out.glob("*.yaml"))}
    described = json.loads((out.parent / "renders.json").read_text())
    checks = ("probes", "admin", "drain", "env", "workdir", "apikeys", "hpa", "counter", "redis", "bare", "starts",
              "routes", "namespace", "images", "parity")
    results: dict[str, list[str]] = {check: [] for check in checks}
    for name, docs in renders.items():
        results["probes"] += check_probes(name, docs)
        results["admin"] += check_admin(name, docs, monitoring_namespace(described[name]))
        results["drain"] += check_drain(name, docs)
        results["workdir"] += check_workdir(name, docs)
        results["apikeys"] += check_api_keys(name, docs)
        results["hpa"] += check_hpa(name, docs)
        results["counter"] += check_counter(name, docs)
        results["redis"] += check_redis(name, docs)
        bare = (described[name]["tool"] == "helm" and not described[name]["api_versions"]) or name in BARE_KUSTOMIZE
        results["bare"] += check_bare(name, docs, bare)
        if name in STARTS_ON_ITS_OWN:
            results["starts"] += check_starts(name, docs)
        results["routes"] += check_routes(name, docs)
        results["namespace"] += check_namespace(name, docs)
        results["images"] += check_images(name, docs)
        if known is not None:
            results["env"] += check_env(name, docs, known)
    if known is not None:
        results["env"] += check_compose_env(known)
    results["workdir"] += check_compose_workdir()
    results["redis"] += check_compose_redis()
    results["redis"] += [f"{r}: not rendered" for r in REDIS_EPHEMERAL if r not in renders]
    missing = [r for r in STARTS_ON_ITS_OWN if r not in renders]
    results["starts"] += [f"{r}: not rendered" for r in missing]
    compared = 0
    for environment in PARITY_ENVIRONMENTS:
        kustomize = identities(renders[f"kustomize-{environment}"], True)
        chart = identities(renders[f"helm-{environment}"], False)
        compared += len(kustomize)
        results["parity"] += [f"only in Kustomize {environment}: {k}/{n}" for k, n in sorted(kustomize - chart)]
        results["parity"] += [f"only in Helm {environment}: {k}/{n}" for k, n in sorted(chart - kustomize)]
        results["parity"] += ports_parity(environment, renders[f"kustomize-{environment}"], renders[f"helm-{environment}"])
        results["parity"] += namespace_parity(environment, renders[f"kustomize-{environment}"])
        results["redis"] += redis_parity(environment, renders[f"kustomize-{environment}"], renders[f"helm-{environment}"])
    results["parity"] += namespace_parity("dev", renders["kustomize-dev"])

    for check, problems in results.items():
        for problem in problems:
            print(f"FAIL {check}: {problem}")
        skipped = check == "env" and known is None
        scope = {"parity": f" ({compared} objects and their ports in {' and '.join(PARITY_ENVIRONMENTS)}, Namespace labels of dev, staging and prod)",
                 "starts": f" ({', '.join(STARTS_ON_ITS_OWN)})"}.get(check, f" across {len(renders)} renders")
        print(f"{check:10}{'SKIPPED (no petrel binary)' if skipped else 'ok' if not problems else f'{len(problems)} problem(s)'}"
              f"{scope}{' + compose' if check in ('env', 'workdir', 'redis') else ''}")
    return 1 if any(results.values()) else 0

if __name__ == "__main__":
    sys.exit(main())
