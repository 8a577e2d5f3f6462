"""Render every install path to plain YAML, and lint the Helm chart, with no cluster.

Kustomize overlays go through `kubectl kustomize`, plus the Gateway API component on top of the
dev overlay (a component no overlay uses is otherwise never rendered). The Helm chart goes
through helm-python-sdk (Helm v4 as a library, the same engine as `helm template` / `helm
lint`): the default values on a bare cluster (no CRDs: the plain `helm install`), each
values-*.yaml and ci/*-values.yaml on a cluster that serves the Prometheus Operator and Gateway
API kinds (everything they enable is rendered), and the prod values on a bare cluster again, to
show what a cluster without those CRDs gets. Writes OUT/kustomize-<variant>.yaml and
OUT/helm-<render>.yaml for the checks that follow, each render's NOTES.txt to
OUT/../notes/helm-<render>.txt and OUT/../renders.json describing the renders.

usage: deploy_render.py OUT_DIR
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import helm_python as helm
import yaml
from helm_python import _native

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy/kubernetes"
OVERLAYS = KUSTOMIZE / "overlays"
CHART = ROOT / "deploy/helm/petrel"
# Release "petrel" in namespace "petrel": the names the Kustomize kit uses, so the two renders
# can be compared object by object.
RELEASE = NAMESPACE = "petrel"
LINT_KUBE_VERSIONS = ["v1.30.0", "v1.33.0"]
# What a cluster with kube-prometheus-stack and the Gateway API CRDs serves beyond Kubernetes'
# own kinds (.Capabilities.APIVersions, as `helm template --api-versions` sets it).
CRD_API_VERSIONS = [
    "monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor",
    "monitoring.coreos.com/v1/PrometheusRule",
    "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1/HTTPRoute",
]
# Kustomize variants beyond the overlays: name -> (base overlay, components on top).
KUSTOMIZE_VARIANTS = {"dev+gateway-api": ("dev", ["gateway-api"])}


def count(text: str) -> int:
    return sum(1 for doc in yaml.safe_load_all(text) if doc)


def kustomize(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True)


def render_kustomize(out: Path, renders: dict) -> list[str]:
    problems = []
    variants: dict[str, Path] = {p.name: p for p in sorted(OVERLAYS.iterdir()) if p.is_dir()}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (overlay, components) in KUSTOMIZE_VARIANTS.items():
            # kustomize refuses absolute paths; relative ones may leave the kustomization's root.
            root = Path(tmp) / name
            root.mkdir()
            # The namespace again, as the overlays set it: components apply at this level.
            (root / "kustomization.yaml").write_text(yaml.safe_dump({
                "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                "namespace": NAMESPACE, "resources": [os.path.relpath(OVERLAYS / overlay, root)],
                "components": [os.path.relpath(KUSTOMIZE / "components" / c, root) for c in components]}))
            variants[name] = root
        for name, path in variants.items():
            result = kustomize(path)
            if result.returncode != 0:
                problems.append(f"kustomize {name}: {result.stderr.strip()}")
                continue
            (out / f"kustomize-{name}.yaml").write_text(result.stdout)
            renders[f"kustomize-{name}"] = {"tool": "kustomize", "variant": name}
            print(f"rendered kustomize {name}: {count(result.stdout)} objects")
    return problems


def helm_renders() -> dict[str, tuple[Path | None, list[str]]]:
    """name -> (values file or None, API versions beyond the built-in ones)."""
    renders: dict[str, tuple[Path | None, list[str]]] = {"default": (None, [])}
    files = sorted(CHART.glob("values-*.yaml")) + sorted(CHART.glob("ci/*-values.yaml"))
    for path in files:
        name = path.stem.removeprefix("values-").removesuffix("-values")
        renders[name] = (path, CRD_API_VERSIONS)
    renders["prod-bare"] = (CHART / "values-prod.yaml", [])
    return renders


def render_chart(chart: helm.Chart, values: dict, api_versions: list[str]) -> dict[str, str]:
    """Chart.render, plus .Capabilities.APIVersions (the wrapper does not expose that option)."""
    opts = {"name": RELEASE, "namespace": NAMESPACE, "is_install": True, "api_versions": api_versions}
    return json.loads(_native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(opts)))


def render_helm(out: Path, renders: dict) -> list[str]:
    problems = []
    chart = helm.Chart.load(str(CHART))
    linted: set[Path | None] = set()
    for name, (path, api_versions) in helm_renders().items():
        values = yaml.safe_load(path.read_text()) if path else {}
        try:
            chart.validate_schema(values)
            manifests = render_chart(chart, values, api_versions)
        except helm.HelmError as err:
            problems.append(f"helm render {name}: {err}")
            continue
        docs = ["---\n" + text.strip() for tpl, text in sorted(manifests.items())
                if not tpl.endswith("NOTES.txt") and text.strip()]
        (out / f"helm-{name}.yaml").write_text("\n".join(docs) + "\n")
        notes = next((text for tpl, text in manifests.items() if tpl.endswith("NOTES.txt")), "")
        (out.parent / "notes").mkdir(exist_ok=True)
        (out.parent / "notes" / f"helm-{name}.txt").write_text(notes)
        renders[f"helm-{name}"] = {"tool": "helm", "values": str(path.relative_to(ROOT)) if path else None,
                                   "api_versions": api_versions}
        if path not in linted:
            linted.add(path)
            for kube in LINT_KUBE_VERSIONS:
                report = helm.lint(str(CHART), values, strict=True, namespace=NAMESPACE, kube_version=kube)
                # Severity 1 is informational (e.g. "icon is recommended"); 2 and up fail.
                findings = [m for m in report.get("messages", []) if m["severity"] >= 2]
                findings += [{"path": "", "error": e} for e in report.get("errors") or []]
                problems += [f"helm lint {name} ({kube}): {m['path']} {m['error']}" for m in findings]
        cluster = "with the Prometheus Operator and Gateway API CRDs" if api_versions else "no CRDs"
        print(f"rendered helm {name} ({path.relative_to(CHART) if path else 'default values'}, {cluster}): "
              f"{count(chr(10).join(docs))} objects, values schema checked, linted for {', '.join(LINT_KUBE_VERSIONS)}")
    return problems


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    renders: dict = {}
    problems = render_kustomize(out, renders) + render_helm(out, renders)
    (out.parent / "renders.json").write_text(json.dumps(renders, indent=2))
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
