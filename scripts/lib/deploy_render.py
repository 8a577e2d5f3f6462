"""Render every deploy variant to plain YAML, and lint the Helm chart, with no cluster.

Kustomize overlays go through `kubectl kustomize`; the Helm chart through helm-python-sdk
(Helm v4 as a library, the same engine as `helm template` / `helm lint`). Writes
OUT/kustomize-<overlay>.yaml and OUT/helm-<values>.yaml for the checks that follow.

usage: deploy_render.py OUT_DIR
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy/kubernetes/overlays"
CHART = ROOT / "deploy/helm/petrel"
# Release "petrel" in namespace "petrel": the names the Kustomize kit uses, so the two renders
# can be compared object by object.
RELEASE = NAMESPACE = "petrel"
LINT_KUBE_VERSIONS = ["v1.30.0", "v1.33.0"]


def count(text: str) -> int:
    return sum(1 for doc in yaml.safe_load_all(text) if doc)


def render_kustomize(out: Path) -> list[str]:
    problems = []
    for overlay in sorted(p for p in OVERLAYS.iterdir() if p.is_dir()):
        result = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True)
        if result.returncode != 0:
            problems.append(f"kustomize {overlay.name}: {result.stderr.strip()}")
            continue
        (out / f"kustomize-{overlay.name}.yaml").write_text(result.stdout)
        print(f"rendered kustomize {overlay.name}: {count(result.stdout)} objects")
    return problems


def values_files() -> dict[str, Path | None]:
    files: dict[str, Path | None] = {"default": None}
    for path in sorted(CHART.glob("values-*.yaml")):
        files[path.stem.removeprefix("values-")] = path
    return files


def render_helm(out: Path) -> list[str]:
    problems = []
    chart = helm.Chart.load(str(CHART))
    for name, path in values_files().items():
        values = yaml.safe_load(path.read_text()) if path else {}
        try:
            chart.validate_schema(values)
            manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
        except helm.HelmError as err:
            problems.append(f"helm render {name}: {err}")
            continue
        docs = ["---\n" + text.strip() for tpl, text in sorted(manifests.items())
                if not tpl.endswith("NOTES.txt") and text.strip()]
        (out / f"helm-{name}.yaml").write_text("\n".join(docs) + "\n")
        for kube in LINT_KUBE_VERSIONS:
            report = helm.lint(str(CHART), values, strict=True, namespace=NAMESPACE, kube_version=kube)
            # Severity 1 is informational (e.g. "icon is recommended"); 2 and up fail.
            findings = [m for m in report.get("messages", []) if m["severity"] >= 2]
            findings += [{"path": "", "error": e} for e in report.get("errors") or []]
            problems += [f"helm lint {name} ({kube}): {m['path']} {m['error']}" for m in findings]
        print(f"rendered helm {name}: {count(chr(10).join(docs))} objects (values schema checked, linted for {', '.join(LINT_KUBE_VERSIONS)})")
    return problems


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    problems = render_kustomize(out) + render_helm(out)
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
