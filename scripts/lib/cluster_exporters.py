"""A stand-in for the exporters a Kubernetes cluster runs beside Petrel, for the live checks.

In a cluster, the dashboard's pod, HPA and resource panels and four alerts (PetrelPodRestarting,
PetrelHPAMaxedOut, PetrelHighMemory, two legs of PetrelDown) read series that Petrel does not
export: kube-state-metrics
(desired and available replicas, HPA bounds, container restarts and limits) and the kubelet's
cAdvisor (CPU throttling). Neither can run without a Kubernetes API server and a kubelet, so
this module serves those series over HTTP on 127.0.0.1, shaped as the real exporters emit them
(metric names, HELP and TYPE, label names, units: cores and bytes), to be scraped the way
kube-prometheus-stack scrapes the real ones (jobs `kube-state-metrics` and `kubelet`,
honor_labels, the kubelet's `metrics_path` label).

The values describe the kit's own Deployment and HPA, read from deploy/kubernetes/base (3
replicas; limits 200m and 128Mi; HPA 2-10), in the state of a healthy rollout: every replica
available, no restarts, the HPA at the Deployment's count, 2 % of CFS periods throttled. The
first pod is the Petrel the live check runs: it starts with that pod's POD_NAME, POD_NAMESPACE
and NODE_NAME, and Prometheus gives its target the same namespace and pod labels, so its own
series meet these on (namespace, pod) as they do in a cluster. The other pods exist only here.

What this proves: every dashboard query and rule that reads these series parses, selects
series that exist under the real exporters' names and labels (container="petrel",
resource="memory", deployment and horizontalpodautoscaler named like the Service), and finds
them under the namespace and pod of Petrel's own series. What it does not prove: anything about
the values, which are fixed here, not measured. A kill -9 is no container restart here, the HPA
never moves, limits and throttling do not follow the process; so PetrelPodRestarting,
PetrelHPAMaxedOut and PetrelHighMemory are shown to evaluate, not to fire (their firing is
unit-tested with promtool in deploy/monitoring/tests).
Nor does it notice an exporter release that renames a metric or label: nothing in CI runs the
real exporters.
"""
import hashlib
import http.server
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

KIT = Path(__file__).resolve().parents[2] / "deploy/kubernetes/base"
# kube-prometheus-stack's job names (its ServiceMonitors' jobLabel) and the kubelet's path.
KSM_JOB, KUBELET_JOB = "kube-state-metrics", "kubelet"
CADVISOR_PATH = "/metrics/cadvisor"
# A Deployment's pods are named <deployment>-<pod-template-hash>-<5 characters from this set>.
POD_TEMPLATE_HASH = "7d4b9c8f6"
POD_NAME_CHARACTERS = "bcdfghjklmnpqrstvwxz2456789"
CFS_PERIODS_PER_SECOND = 10  # the kernel's default CFS period is 100 ms
THROTTLED_SHARE = 0.02
_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(m|k|M|G|Ki|Mi|Gi)?")
_QUANTITY_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
# resource -> the unit kube-state-metrics reports it in.
_UNITS = {"cpu": "core", "memory": "byte"}


def quantity(text) -> float:
    """A Kubernetes quantity ("200m", "128Mi", 3) in base units (cores, bytes), as kube-state-metrics reports it."""
    m = _QUANTITY.fullmatch(str(text))
    if not m:
        raise ValueError(f"not a Kubernetes quantity this stand-in understands: {text!r}")
    return float(m.group(1)) * _QUANTITY_FACTORS[m.group(2)]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _family(name: str, kind: str, help_text: str, samples: list) -> list:
    """One metric family in the text exposition format: HELP, TYPE, then (labels, value) samples."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        lines.append(name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "} " + _number(value))
    return lines


@dataclass(frozen=True)
class Pod:
    name: str
    uid: str
    node: str


class ClusterExporters:
    """Serves kube-state-metrics' series on /metrics and the kubelet's cAdvisor series on
    /metrics/cadvisor for the kit's Deployment in `namespace`; start() binds a free port."""

    def __init__(self, namespace: str):
        deployment = yaml.safe_load((KIT / "deployment.yaml").read_text())
        hpa = yaml.safe_load((KIT / "hpa.yaml").read_text())
        kustomization = yaml.safe_load((KIT / "kustomization.yaml").read_text())
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        tags = {i["name"]: i.get("newTag", "latest") for i in kustomization.get("images", [])}
        self.namespace = namespace
        self.deployment = deployment["metadata"]["name"]
        self.container = container["name"]
        self.image = f"{container['image']}:{tags.get(container['image'], 'latest')}"
        self.limits = {resource: quantity(v) for resource, v in container["resources"]["limits"].items()}
        self.hpa = hpa["metadata"]["name"]
        self.hpa_min, self.hpa_max = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
        # The HPA owns the count (the Deployment sets none): it runs at its minimum until loaded.
        self.replicas = deployment["spec"].get("replicas", self.hpa_min)
        self.pods = [self._pod(i) for i in range(self.replicas)]
        self.started = time.monotonic()
        self.server = None

    def _pod(self, index: int) -> Pod:
        """Pod `index` of the Deployment, the same on every run; one node per pod, as the kit spreads them."""
        suffix = "".join(random.Random(f"{self.deployment}-{index}").choices(POD_NAME_CHARACTERS, k=5))
        name = f"{self.deployment}-{POD_TEMPLATE_HASH}-{suffix}"
        uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.namespace}/{name}"))
        return Pod(name, uid, f"ip-10-0-{index + 1}-17.ec2.internal")

    @property
    def live_pod(self) -> Pod:
        """The pod whose identity the Petrel under test takes."""
        return self.pods[0]

    def downward_api(self) -> dict:
        """The environment Kubernetes' downward API gives the live pod's container."""
        pod = self.live_pod
        return {"POD_NAME": pod.name, "POD_NAMESPACE": self.namespace, "NODE_NAME": pod.node}

    def kube_state_metrics(self) -> str:
        deployment = {"namespace": self.namespace, "deployment": self.deployment}
        hpa = {"namespace": self.namespace, "horizontalpodautoscaler": self.hpa}

        def container(pod: Pod) -> dict:
            return {"namespace": self.namespace, "pod": pod.name, "uid": pod.uid, "container": self.container}
        lines = (
            _family("kube_deployment_spec_replicas", "gauge", "[STABLE] Number of desired pods for a deployment.",
                    [(deployment, self.replicas)])
            + _family("kube_deployment_status_replicas_available", "gauge",
                      "[STABLE] The number of available replicas per deployment.", [(deployment, self.replicas)])
            + _family("kube_horizontalpodautoscaler_spec_max_replicas", "gauge",
                      "Upper limit for the number of pods that can be set by the autoscaler; "
                      "cannot be smaller than MinReplicas.",
                      [(hpa, self.hpa_max)])
            + _family("kube_horizontalpodautoscaler_spec_min_replicas", "gauge",
                      "Lower limit for the number of pods that can be set by the autoscaler, default 1.",
                      [(hpa, self.hpa_min)])
            + _family("kube_horizontalpodautoscaler_status_current_replicas", "gauge",
                      "Current number of replicas of pods managed by this autoscaler.", [(hpa, self.replicas)])
            + _family("kube_pod_container_resource_limits", "gauge",
                      "The number of requested limit resource by a container. It is recommended to use the "
                      "kube_pod_resource_limits metric exposed by kube-scheduler instead, as it is more precise.",
                      [({**container(pod), "node": pod.node, "resource": resource, "unit": _UNITS[resource]}, limit)
                       for pod in self.pods for resource, limit in self.limits.items()])
            + _family("kube_pod_container_status_restarts_total", "counter",
                      "[STABLE] The number of container restarts per container.",
                      [(container(pod), 0) for pod in self.pods])
        )
        return "\n".join(lines) + "\n"

    def cadvisor(self) -> str:
        """The kubelet's cAdvisor series: one for the container and one for the pod's own cgroup
        (container="", which is why the dashboard filters on container="petrel")."""
        periods = int((time.monotonic() - self.started) * CFS_PERIODS_PER_SECOND)
        throttled = int(periods * THROTTLED_SHARE)

        def cgroups(pod: Pod) -> list:
            pod_cgroup = ("/kubepods.slice/kubepods-burstable.slice/"
                          f"kubepods-burstable-pod{pod.uid.replace('-', '_')}.slice")
            container_id = hashlib.sha256(pod.name.encode()).hexdigest()
            return [{"container": "", "id": pod_cgroup, "image": "", "name": "", "namespace": self.namespace,
                     "pod": pod.name},
                    {"container": self.container, "id": f"{pod_cgroup}/cri-containerd-{container_id}.scope",
                     "image": self.image, "name": container_id, "namespace": self.namespace, "pod": pod.name}]
        series = [labels for pod in self.pods for labels in cgroups(pod)]
        lines = (
            _family("container_cpu_cfs_periods_total", "counter", "Number of elapsed enforcement period intervals.",
                    [(labels, periods) for labels in series])
            + _family("container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals.",
                      [(labels, throttled) for labels in series])
        )
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        pages = {"/metrics": self.kube_state_metrics, CADVISOR_PATH: self.cadvisor}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                page = pages.get(self.path)
                body = page().encode() if page else b"not found\n"
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def scrape_configs(self) -> list:
        """Prometheus scrape jobs for the stand-in, as kube-prometheus-stack's ServiceMonitors
        configure them for the real exporters. The target labels name the exporter's own pod;
        honor_labels lets the series' namespace and pod (the pod they describe) win, without it
        they would be renamed exported_namespace and exported_pod and no Petrel query would match."""
        target = f"127.0.0.1:{self.server.server_port}"
        return [
            {"job_name": KSM_JOB, "honor_labels": True, "static_configs": [{"targets": [target], "labels": {
                "namespace": "monitoring", "pod": "kube-state-metrics-6f8d7c9b5-q2w4e",
                "container": "kube-state-metrics"}}]},
            {"job_name": KUBELET_JOB, "honor_labels": True, "metrics_path": CADVISOR_PATH, "static_configs": [
                {"targets": [target], "labels": {"namespace": "kube-system", "metrics_path": CADVISOR_PATH}}]},
        ]

    def exposition(self) -> str:
        """Everything the stand-in serves, both endpoints."""
        return self.kube_state_metrics() + self.cadvisor()
