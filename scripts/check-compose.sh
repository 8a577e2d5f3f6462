#!/usr/bin/env bash
# Offline checks of the local compose stack (deploy/compose): what `docker compose up` would
# start, checked without Docker. The compose file against the Compose Specification's JSON
# schema (the copy check-jsonschema ships) and for its wiring: images pinned, ports on 127.0.0.1,
# mounts that exist, named volumes and depends_on that resolve, nginx proxying Petrel's serving
# port and nothing publishing its admin port. Prometheus: `promtool check config` on its config
# with the container paths mapped to the files compose mounts, so the real rule files are loaded,
# Petrel scraped on its admin port (ADMIN_PORT), and alerts sent to the stack's Alertmanager. Alertmanager: `amtool
# check-config` on the mounted file. Grafana: the provisioning files parsed, every data source
# url a service and port of the stack, every data source reference of every provisioned
# dashboard resolved, the home dashboard provisioned, and each dashboard's queries checked as
# scripts/check-monitoring.sh checks them. Traces: Petrel's OTEL_EXPORTER_OTLP_ENDPOINT names the
# collector's OTLP/HTTP receiver, whose config (core components only, every pipeline complete)
# exports to Jaeger. Plus yamllint and shellcheck. Installs what it needs; exits non-zero on any
# failure. Running the stack needs Docker: see docs/local-stack.md.
#
# usage: scripts/check-compose.sh
set -euo pipefail
# shellcheck source=scripts/lib/tools.sh
. "$(dirname "$0")/lib/tools.sh"
cd "$REPO_ROOT"

ensure_apt prometheus prometheus-alertmanager shellcheck
# Its own venv: check-jsonschema's jsonschema must not move checkov's (.venv, check-deploy.sh).
TOOLS_VENV="$REPO_ROOT/.venv-compose" ensure_pip check-jsonschema==0.39.0 "${MONITORING_PYTHON[@]}" yamllint==1.38.0

failed=() passed=()
step() { # step NAME CMD... — run one check, keep going, remember the verdict.
  local name="$1"; shift
  printf '\n==> %s\n' "$name"
  if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}

# stack CHECK — one of the stack's wiring checks below (the script reads the compose file and
# every file it mounts; promtool, amtool and check-dashboard.py run on the mounted files).
stack() {
  offline python3 - "$1" <<'PY'
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

ROOT = Path.cwd()
COMPOSE_DIR = ROOT / "deploy/compose"
COMPOSE = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
MONITORING = ROOT / "deploy/monitoring"
RULES = MONITORING / "rules"
# Built here, not pulled: the only image that needs no tag pin.
OWN_IMAGES = {"petrel"}
# Not read_only, each for the reason compose.yaml gives.
WRITABLE_ROOT = {"elasticsearch"}
# Ports each image listens on by default; a service that moves one must say so here.
IMAGE_PORTS = {
    "prom/prometheus": {9090},
    "prom/alertmanager": {9093},
    "grafana/grafana": {3000},
    # OTLP gRPC and HTTP, and the UI, all on 0.0.0.0 (the image sets JAEGER_LISTEN_HOST).
    "jaegertracing/jaeger": {4317, 4318, 16686},
    "redis": {6379},
    "docker.elastic.co/elasticsearch/elasticsearch": {9200},
}
# The components of otel/opentelemetry-collector (the core distribution) at this version: its
# manifest in opentelemetry-collector-releases. Another tag: take the list from that tag.
COLLECTOR_VERSION = "0.123.0"
COLLECTOR_COMPONENTS = {
    "receivers": {"nop", "otlp", "hostmetrics", "jaeger", "kafka", "opencensus", "prometheus", "zipkin"},
    "processors": {"batch", "memory_limiter", "attributes", "resource", "span", "probabilistic_sampler", "filter"},
    "exporters": {"debug", "nop", "otlp", "otlphttp", "file", "kafka", "opencensus", "prometheus",
                  "prometheusremotewrite", "zipkin"},
    "extensions": {"zpages", "health_check", "pprof"},
    "connectors": {"forward"},
}
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def image_repo(service: str) -> str:
    image = SERVICES[service].get("image", "")
    name = image.split("@", 1)[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def services_of(repo: str) -> list:
    return [name for name in SERVICES if image_repo(name) == repo]


def mounts(service: str) -> list:
    """(source, target, read_only) per volume; source is a host Path for a bind mount, the
    volume's name for a named volume."""
    found = []
    for volume in SERVICES[service].get("volumes") or []:
        if isinstance(volume, dict):
            source, target, ro = volume.get("source"), volume["target"], bool(volume.get("read_only"))
        else:
            parts = volume.split(":")
            source, target = parts[0], parts[1]
            ro = len(parts) > 2 and "ro" in parts[2].split(",")
        if source and (source.startswith(".") or source.startswith("/")):
            source = (COMPOSE_DIR / source).resolve()
        found.append((source, target, ro))
    return found


def host_path(service: str, container_path: str):
    """The host file or directory that a path inside the service's container is, through its
    bind mounts (the deepest one wins), or None."""
    path = PurePosixPath(container_path)
    best = None
    for source, target, _ in mounts(service):
        target = PurePosixPath(target)
        if isinstance(source, Path) and (path == target or target in path.parents):
            if best is None or len(target.parts) > len(best[1].parts):
                best = (source, target)
    return None if best is None else best[0] / path.relative_to(best[1])


def flag(service: str, name: str):
    """The value of --name=value in the service's command, or None."""
    command = SERVICES[service].get("command") or []
    for arg in command if isinstance(command, list) else command.split():
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None


def petrel_ports() -> tuple:
    """Petrel's serving port (HTTP_PORT) and its admin listener's (ADMIN_PORT), defaults as the service's."""
    environment = SERVICES["petrel"].get("environment") or {}
    return int(environment.get("HTTP_PORT", 8080)), int(environment.get("ADMIN_PORT", 9797))


def listens(service: str) -> set:
    if service == "petrel":
        return set(petrel_ports())
    if service in services_of("otel/opentelemetry-collector"):
        config = collector_config(service)[1] or {}
        return {int(m.group(1)) for m in re.finditer(r":(\d+)$", "\n".join(
            str(p.get("endpoint", "")) for r in (config.get("receivers") or {}).values()
            for p in ((r or {}).get("protocols") or {}).values() if isinstance(p, dict)), re.M)}
    if image_repo(service).startswith("nginx"):
        conf = host_path(service, "/etc/nginx/nginx.conf")
        return {int(p) for p in re.findall(r"^\s*listen\s+(\d+)", conf.read_text(), re.M)} if conf else set()
    return set(IMAGE_PORTS.get(image_repo(service), set()))


def url_problems(where: str, url: str, scheme: str = "http") -> tuple:
    """Problems with a url that should name a service of the stack and a port it listens on;
    and the service."""
    parts = urlsplit(url if "://" in url else f"{scheme}://{url}")
    if parts.scheme != scheme:
        return [f"{where}: {url} is not {scheme}://"], None
    if parts.hostname not in SERVICES:
        return [f"{where}: {url} names {parts.hostname}, which is no service of the stack"], None
    if parts.port not in listens(parts.hostname):
        return [f"{where}: {url}: service {parts.hostname} listens on {sorted(listens(parts.hostname))}, not {parts.port}"], parts.hostname
    return [], parts.hostname


def run(*cmd) -> list:
    result = subprocess.run(cmd, capture_output=True, text=True)
    print((result.stdout + result.stderr).rstrip())
    return [] if result.returncode == 0 else [f"{cmd[0]} {cmd[1]} {cmd[2]}: exit status {result.returncode}"]


def check_compose() -> list:
    problems = []
    declared = set(COMPOSE.get("volumes") or {})
    used = set()
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if name not in OWN_IMAGES:
            reference, _, digest = image.partition("@")
            tag = reference.rsplit(":", 1)[1] if ":" in reference.rsplit("/", 1)[-1] else ""
            if not tag or tag == "latest":
                problems.append(f"service {name}: image {image!r} is not pinned by a version tag")
            if digest and not DIGEST.match(digest):
                problems.append(f"service {name}: image digest {digest!r} is not sha256:<64 hex>")
        elif "build" not in service:
            problems.append(f"service {name}: Petrel's image is built here, so it needs build:")
        for port in service.get("ports") or []:
            host_ip = port.get("host_ip") if isinstance(port, dict) else (str(port).split(":")[0] if str(port).count(":") == 2 else None)
            container_port = int(port["target"] if isinstance(port, dict) else str(port).split(":")[-1].split("/")[0])
            if host_ip != "127.0.0.1":
                problems.append(f"service {name}: port {port} is not bound to 127.0.0.1")
            if container_port not in listens(name):
                problems.append(f"service {name}: publishes {container_port}, but listens on {sorted(listens(name))}")
        if name == "petrel" and any(str(p.get("target") if isinstance(p, dict) else str(p).split(":")[-1].split("/")[0])
                                    == str(petrel_ports()[1]) for p in service.get("ports") or []):
            problems.append("service petrel: publishes its admin port (/metrics, the operator switches)")
        if image_repo(name).startswith("nginx"):
            conf = host_path(name, "/etc/nginx/nginx.conf")
            upstreams = re.findall(r"^\s*server\s+petrel:(\d+)", conf.read_text(), re.M) if conf else []
            if not upstreams:
                problems.append(f"service {name}: nginx.conf has no upstream server petrel:PORT")
            for port in upstreams:
                if int(port) != petrel_ports()[0]:
                    problems.append(f"service {name}: proxies to petrel:{port}, not its serving port {petrel_ports()[0]} "
                                    "(the admin port must never be proxied)")
        if service.get("cap_drop") != ["ALL"] or "no-new-privileges:true" not in (service.get("security_opt") or []):
            problems.append(f"service {name}: needs cap_drop [ALL] and security_opt no-new-privileges:true")
        if not service.get("read_only") and name not in WRITABLE_ROOT:
            problems.append(f"service {name}: root filesystem is not read_only")
        depends = service.get("depends_on") or []
        for dependency in depends if isinstance(depends, list) else list(depends):
            if dependency not in SERVICES:
                problems.append(f"service {name}: depends_on {dependency}, which is no service")
        for source, target, _ in mounts(name):
            if isinstance(source, Path):
                if not source.exists():
                    problems.append(f"service {name}: mounts {source.relative_to(ROOT) if ROOT in source.parents else source}, which does not exist")
            else:
                used.add(source)
                if source not in declared:
                    problems.append(f"service {name}: named volume {source} is not declared under volumes:")
    for volume in sorted(declared - used):
        problems.append(f"volume {volume} is declared but no service mounts it")
    print(f"{len(SERVICES)} services, {len(declared)} named volumes: images pinned, ports on 127.0.0.1, mounts and dependencies resolve")
    return problems


def collector_config(service: str) -> tuple:
    path = flag(service, "config") or "/etc/otelcol/config.yaml"
    host = host_path(service, path)
    if host is None or not host.is_file():
        return host, None
    return host, yaml.safe_load(host.read_text())


def check_tracing() -> list:
    problems = []
    collectors = services_of("otel/opentelemetry-collector")
    if len(collectors) != 1:
        return [f"expected one otel/opentelemetry-collector service, found {collectors}"]
    collector = collectors[0]
    tag = SERVICES[collector]["image"].split("@")[0].rsplit(":", 1)[1]
    if tag != COLLECTOR_VERSION:
        problems.append(f"service {collector} runs {tag}, the component list here is {COLLECTOR_VERSION}'s: update both")
    path, config = collector_config(collector)
    if config is None:
        return problems + [f"service {collector}: its --config {flag(collector, 'config')} is no mounted file"]
    print(f"{collector}: {path.relative_to(ROOT)}")
    for kind, known in COLLECTOR_COMPONENTS.items():
        for component in (config.get(kind) or {}):
            if component.split("/")[0] not in known:
                problems.append(f"collector {kind}: {component} is not in the core distribution {COLLECTOR_VERSION}")
    unknown = set(config) - set(COLLECTOR_COMPONENTS) - {"service"}
    if unknown:
        problems.append(f"collector config: unknown top-level keys {sorted(unknown)}")
    service = config.get("service") or {}
    for extension in service.get("extensions") or []:
        if extension not in (config.get("extensions") or {}):
            problems.append(f"collector service.extensions: {extension} is not defined")
    pipelines = service.get("pipelines") or {}
    used = {"receivers": set(), "processors": set(), "exporters": set()}
    for name, pipeline in pipelines.items():
        for kind in used:
            for component in pipeline.get(kind) or []:
                used[kind].add(component)
                if component not in (config.get(kind) or {}):
                    problems.append(f"collector pipeline {name}: {kind} {component} is not defined")
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            problems.append(f"collector pipeline {name}: needs receivers and exporters")
        processors = pipeline.get("processors") or []
        if "memory_limiter" in processors and processors[0] != "memory_limiter":
            problems.append(f"collector pipeline {name}: memory_limiter must come first")
    for kind, names in used.items():
        for component in sorted(set(config.get(kind) or {}) - names):
            problems.append(f"collector {kind}: {component} is defined but in no pipeline")
    traces = pipelines.get("traces")
    if not traces:
        return problems + ["collector: no traces pipeline"]
    otlp = ((config.get("receivers") or {}).get("otlp") or {}).get("protocols") or {}
    http = otlp.get("http")
    if "otlp" not in (traces.get("receivers") or []) or not isinstance(http, dict):
        problems.append("collector: the traces pipeline does not receive OTLP/HTTP (receivers.otlp.protocols.http)")
    else:
        endpoint = str(http.get("endpoint", ""))
        if not endpoint.startswith("0.0.0.0:"):
            problems.append(f"collector: OTLP/HTTP listens on {endpoint or 'the default, localhost'}: other containers cannot reach it (0.0.0.0:PORT)")
    # Petrel sends its spans to the collector's OTLP/HTTP receiver.
    environment = SERVICES["petrel"].get("environment") or {}
    endpoint = environment.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint:
        problems.append("service petrel: OTEL_EXPORTER_OTLP_ENDPOINT is not set: tracing is off")
    else:
        found, target = url_problems("petrel OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        problems += found
        if target and target != collector:
            problems.append(f"service petrel: OTEL_EXPORTER_OTLP_ENDPOINT {endpoint} names {target}, not the collector {collector}")
        if isinstance(http, dict) and not str(http.get("endpoint", "")).endswith(f":{urlsplit(endpoint).port}"):
            problems.append(f"service petrel: OTEL_EXPORTER_OTLP_ENDPOINT {endpoint} is not the collector's OTLP/HTTP port ({http.get('endpoint')})")
        if urlsplit(endpoint).path.strip("/"):
            problems.append(f"service petrel: OTEL_EXPORTER_OTLP_ENDPOINT {endpoint} has a path: Petrel appends /v1/traces itself")
        if environment.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") != "http/protobuf":
            problems.append("service petrel: OTEL_EXPORTER_OTLP_PROTOCOL must stay http/protobuf (the collector receives OTLP/HTTP)")
        depends = SERVICES["petrel"].get("depends_on") or {}
        if collector not in depends:
            problems.append(f"service petrel: does not depend on {collector} (the first spans would be lost)")
        print(f"petrel -> {endpoint}")
    # The collector hands the traces to Jaeger over OTLP/gRPC.
    jaegers = services_of("jaegertracing/jaeger")
    to_jaeger = []
    for exporter in traces.get("exporters") or []:
        settings = (config.get("exporters") or {}).get(exporter) or {}
        if exporter.split("/")[0] != "otlp":
            continue
        found, target = url_problems(f"collector exporter {exporter}", str(settings.get("endpoint", "")), scheme="grpc")
        if target in jaegers:
            problems += found
            if urlsplit(f"grpc://{settings['endpoint']}").port != 4317:
                problems.append(f"collector exporter {exporter}: Jaeger takes OTLP/gRPC on 4317, not {settings['endpoint']}")
            if not (settings.get("tls") or {}).get("insecure"):
                problems.append(f"collector exporter {exporter}: Jaeger's OTLP receiver has no TLS here: tls.insecure: true")
            to_jaeger.append(exporter)
            print(f"collector -> {exporter} -> {settings['endpoint']}")
    if not to_jaeger:
        problems.append(f"collector: no OTLP exporter of the traces pipeline sends to a Jaeger service ({jaegers})")
    return problems


def check_prometheus() -> list:
    problems = []
    path = flag("prometheus", "config.file") or "/etc/prometheus/prometheus.yml"
    host = host_path("prometheus", path)
    if host is None or not host.is_file():
        return [f"service prometheus: --config.file {path} is no mounted file"]
    config = yaml.safe_load(host.read_text())
    # rule_files are container paths: map each through the mounts, so that promtool loads the
    # files the container would.
    mapped = []
    for pattern in config.get("rule_files") or []:
        target = host_path("prometheus", pattern)
        if target is None:
            problems.append(f"rule_files {pattern}: not under a mounted directory")
            continue
        files = sorted(target.parent.glob(target.name))
        if not files:
            problems.append(f"rule_files {pattern}: matches no file in {target.parent.relative_to(ROOT)}")
        elif target.parent.resolve() != RULES.resolve():
            problems.append(f"rule_files {pattern}: is {target.parent.relative_to(ROOT)}, not the rules' one source {RULES.relative_to(ROOT)}")
        print(f"rule_files {pattern} -> {', '.join(str(f.relative_to(ROOT)) for f in files)}")
        mapped.append(str(target))
    if not mapped:
        problems.append("no rule_files: the stack would run without Petrel's alerts")
    # Alerts go to the stack's Alertmanager.
    alertmanagers = services_of("prom/alertmanager")
    targets = [t for am in (config.get("alerting") or {}).get("alertmanagers") or []
               for sc in am.get("static_configs") or [] for t in sc.get("targets") or []]
    if not targets:
        problems.append("alerting: no Alertmanager target: alerts would go nowhere")
    for target in targets:
        found, service = url_problems("alerting target", target)
        problems += found
        if service not in alertmanagers:
            problems.append(f"alerting target {target}: {service} is not an Alertmanager service ({alertmanagers})")
    # Petrel's targets carry the labels the rules and the dashboard select by.
    jobs = {job["job_name"]: job for job in config.get("scrape_configs") or []}
    petrel = next((job for job in jobs.values() if any("petrel" in sd.get("names", []) for sd in job.get("dns_sd_configs", []))), None)
    if petrel is None:
        problems.append("scrape_configs: no job discovers the petrel service (dns_sd_configs names [petrel])")
    else:
        # /metrics is on the admin listener only; the serving port answers it 404.
        admin = petrel_ports()[1]
        for sd in petrel["dns_sd_configs"]:
            if sd.get("port") != admin:
                problems.append(f"job {petrel['job_name']}: port {sd.get('port')}, but petrel serves /metrics on its admin port {admin} (ADMIN_PORT)")
        if petrel.get("metrics_path", "/metrics") != "/metrics":
            problems.append(f"job {petrel['job_name']}: metrics_path {petrel['metrics_path']}, petrel serves /metrics")
        rules_text = "\n".join(f.read_text() for f in sorted(RULES.glob("*.yaml")))
        for regex in sorted(set(re.findall(r'job=~"([^"]+)"', rules_text))):
            if not re.fullmatch(regex, petrel["job_name"]):
                problems.append(f'job {petrel["job_name"]}: the rules select job=~"{regex}", which does not match it')
        labels = {r.get("target_label"): r for r in petrel.get("relabel_configs") or []}
        namespace = labels.get("namespace", {}).get("replacement")
        if not namespace:
            problems.append(f"job {petrel['job_name']}: sets no namespace label; the dashboard selects by it, the rules group by it")
        elif namespace != (SERVICES["petrel"].get("environment") or {}).get("POD_NAMESPACE"):
            problems.append(f"job {petrel['job_name']}: namespace {namespace} differs from petrel's POD_NAMESPACE")
        if "pod" not in labels:
            problems.append(f"job {petrel['job_name']}: sets no pod label; the dashboard's $pod and the rules' by (namespace, pod) need it")
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="compose-prometheus-") as resolved:
        yaml.safe_dump({**config, "rule_files": mapped}, resolved, sort_keys=False)
        resolved.flush()
        problems += run("promtool", "check", "config", resolved.name)
    return problems


def check_alertmanager() -> list:
    problems = []
    alertmanagers = services_of("prom/alertmanager")
    if len(alertmanagers) != 1:
        return [f"expected one prom/alertmanager service, found {alertmanagers}"]
    service = alertmanagers[0]
    path = flag(service, "config.file") or "/etc/alertmanager/alertmanager.yml"
    host = host_path(service, path)
    if host is None or not host.is_file():
        return [f"service {service}: --config.file {path} is no mounted file"]
    expected = MONITORING / "alertmanager/alertmanager.yml"
    if host.resolve() != expected.resolve():
        problems.append(f"service {service}: runs {host}, not the kit's {expected.relative_to(ROOT)}")
    storage = flag(service, "storage.path") or "/alertmanager"
    if not any(target == storage and not isinstance(source, Path) and not ro for source, target, ro in mounts(service)):
        problems.append(f"service {service}: --storage.path {storage} is not a writable named volume (silences would be lost, or not written)")
    return problems + run("amtool", "check-config", str(host))


def provisioning(kind: str) -> list:
    """(host file, parsed YAML) of Grafana's provisioning files of one kind."""
    directory = host_path("grafana", f"/etc/grafana/provisioning/{kind}")
    if directory is None or not directory.is_dir():
        return []
    return [(f, yaml.safe_load(f.read_text())) for f in sorted(directory.iterdir()) if f.suffix in (".yaml", ".yml")]


def dashboards() -> list:
    """(provider, host file) of every dashboard the file providers load."""
    found = []
    for _, config in provisioning("dashboards"):
        for provider in (config or {}).get("providers") or []:
            directory = host_path("grafana", (provider.get("options") or {}).get("path", ""))
            if directory is not None and directory.is_dir():
                found += [(provider.get("name"), f) for f in sorted(directory.rglob("*.json"))]
    return found


def datasource_references(node, where="") -> list:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource" and value is not None:
                found.append((where, value))
            elif key != "templating":
                found += datasource_references(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            label = item.get("title") or item.get("name") or i if isinstance(item, dict) else i
            found += datasource_references(item, f"{where}[{label}]")
    return found


def check_grafana() -> list:
    problems = []
    files = provisioning("datasources")
    if not files:
        return ["grafana: no datasources provisioning file mounted at /etc/grafana/provisioning/datasources"]
    datasources = []
    for path, config in files:
        if (config or {}).get("apiVersion") != 1:
            problems.append(f"{path.name}: apiVersion must be 1")
        datasources += (config or {}).get("datasources") or []
    expected_image = {"prometheus": "prom/prometheus", "alertmanager": "prom/alertmanager", "jaeger": "jaegertracing/jaeger"}
    by_uid = {}
    for ds in datasources:
        where = f"data source {ds.get('name')!r}"
        for key in ("name", "uid", "type", "url"):
            if not ds.get(key):
                problems.append(f"{where}: no {key}")
        if ds.get("uid") in by_uid:
            problems.append(f"{where}: uid {ds['uid']} used twice")
        by_uid[ds.get("uid")] = ds
        if ds.get("access", "proxy") != "proxy":
            problems.append(f"{where}: access must be proxy (the browser cannot resolve compose's service names)")
        found, service = url_problems(where, str(ds.get("url", "")))
        problems += found
        if service and ds.get("type") in expected_image and image_repo(service) != expected_image[ds["type"]]:
            problems.append(f"{where}: type {ds['type']} points at {service} ({image_repo(service)})")
        print(f"{where}: {ds.get('type')} {ds.get('url')} uid {ds.get('uid')}")
    defaults = [ds for ds in datasources if ds.get("isDefault")]
    if len(defaults) != 1:
        problems.append(f"exactly one data source must be the default, found {len(defaults)}")
    types = {ds.get("type") for ds in datasources}

    provided = dashboards()
    if not provided:
        problems.append("grafana: no dashboard provisioned (providers' options.path must be a mounted directory with *.json)")
    for _, config in provisioning("dashboards"):
        for provider in (config or {}).get("providers") or []:
            if provider.get("type", "file") != "file" or host_path("grafana", (provider.get("options") or {}).get("path", "")) is None:
                problems.append(f"dashboard provider {provider.get('name')}: options.path is not a mounted directory")
    uids = {}
    for provider, path in provided:
        dashboard = json.loads(path.read_text())
        where = f"{path.relative_to(ROOT)} (provider {provider})"
        if not dashboard.get("uid") or dashboard["uid"] in uids:
            problems.append(f"{where}: needs a uid of its own")
        uids[dashboard.get("uid")] = path
        variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
        references = datasource_references(dashboard) + [
            (f"variable ${name}", v["datasource"]) for name, v in variables.items() if v.get("datasource")]
        unresolved = {}  # problem -> where it occurs: one line per problem, not per panel
        for at, ref in references:
            uid = ref.get("uid") if isinstance(ref, dict) else ref
            kind = ref.get("type") if isinstance(ref, dict) else None
            if uid in ("-- Grafana --", "grafana") or kind in ("grafana", "datasource"):
                continue
            m = re.fullmatch(r"\$\{?(\w+)\}?", str(uid))
            if m:
                variable = variables.get(m.group(1))
                if not variable or variable.get("type") != "datasource":
                    problem = f"${m.group(1)} is not a datasource variable"
                elif variable.get("query") not in types:
                    problem = f"${m.group(1)} lists {variable.get('query')} data sources; none is provisioned"
                elif kind and kind != variable.get("query"):
                    problem = f"type {kind}, but ${m.group(1)} lists {variable.get('query')}"
                else:
                    continue
            elif uid not in by_uid:
                problem = f"data source uid {uid} is not provisioned ({sorted(by_uid)})"
            elif kind and by_uid[uid].get("type") != kind:
                problem = f"uid {uid} is a {by_uid[uid].get('type')} data source, not {kind}"
            else:
                continue
            unresolved.setdefault(problem, []).append(at)
        for problem, places in unresolved.items():
            problems.append(f"{where}: {problem}, in {len(places)} place(s): {', '.join(places[:3])}{', …' if len(places) > 3 else ''}")
        for name, variable in variables.items():
            # Its first value is the default data source when that is of its type.
            if variable.get("type") == "datasource" and defaults and defaults[0].get("type") != variable.get("query"):
                problems.append(f"{where}: ${name} lists {variable.get('query')}, but the default data source is {defaults[0].get('type')}")
        print(f"{where}: uid {dashboard.get('uid')}, {len(references)} data source references resolve")
    home = (SERVICES["grafana"].get("environment") or {}).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        target = host_path("grafana", home)
        if target is None or target not in {p for _, p in provided}:
            problems.append(f"GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH {home} is not a provisioned dashboard")
    return problems


def check_dashboards() -> list:
    """Each provisioned dashboard's queries, as scripts/check-monitoring.sh checks petrel.json
    (there against the live service's metric names; here against the contract list)."""
    problems = []
    for _, path in dashboards():
        problems += run(sys.executable, "scripts/check-dashboard.py", "--contract", "--dashboard", str(path))
    return problems or ([] if dashboards() else ["no provisioned dashboard"])


CHECKS = {"compose": check_compose, "tracing": check_tracing, "prometheus": check_prometheus,
          "alertmanager": check_alertmanager, "grafana": check_grafana, "dashboards": check_dashboards}
problems = CHECKS[sys.argv[1]]()
for problem in problems:
    print(f"FAIL {problem}")
sys.exit(1 if problems else 0)
PY
}

step "compose file: Compose Specification schema (check-jsonschema vendor.compose-spec)" \
  offline check-jsonschema --builtin-schema vendor.compose-spec deploy/compose/compose.yaml
step "compose wiring: pinned images, 127.0.0.1 ports, mounts, volumes, depends_on" stack compose
step "traces: petrel -> otel-collector (OTLP/HTTP) -> jaeger (OTLP/gRPC)" stack tracing
step "prometheus: promtool check config with the mounted rules, alerts to alertmanager, target labels" stack prometheus
step "alertmanager: amtool check-config on the mounted config" stack alertmanager
step "grafana: provisioning files, data source urls, every dashboard's data sources resolve" stack grafana
step "grafana dashboards: queries (check-dashboard.py --contract)" stack dashboards
step "yamllint" offline yamllint -s -c .yamllint.yaml deploy/compose
step "shellcheck" offline shellcheck -x scripts/check-compose.sh

printf '\ncheck-compose: %d passed, %d failed\n' "${#passed[@]}" "${#failed[@]}"
for name in "${failed[@]}"; do printf '  FAILED: %s\n' "$name"; done
[ ${#failed[@]} -eq 0 ]
