"""Validate rendered manifests against the Kubernetes OpenAPI schemas, strictly.

Every object in every OUT/*.yaml must pass kubernetes-validate --strict for each version.
Custom resources have no schema there: they are listed, not failed, and only for the kinds named
below. The Prometheus Operator's rules are checked by promtool in the monitoring checks; an
HTTPRoute's backends by deploy_consistency.py (routes), and its schema by the e2e workflow's
server-side dry run against a cluster with the Gateway API CRDs.

usage: deploy_validate.py OUT_DIR VERSION...
"""
from __future__ import annotations

import sys
from pathlib import Path

import kubernetes_validate
import yaml

CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule"),
                ("gateway.networking.k8s.io/v1", "HTTPRoute")}


def main() -> int:
    out, versions = Path(sys.argv[1]), sys.argv[2:]
    failures, checked, custom = [], 0, set()
    for path in sorted(out.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            ident = f"{path.name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            if (doc.get("apiVersion"), doc.get("kind")) in CUSTOM_KINDS:
                custom.add(doc["kind"])
                continue
            for version in versions:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                    checked += 1
                except kubernetes_validate.ValidationError as err:
                    failures.append(f"{ident} (k8s {version}): {'.'.join(map(str, err.path))}: {err.message}")
                except kubernetes_validate.SchemaNotFoundError as err:
                    failures.append(f"{ident} (k8s {version}): no schema: {err}")
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"kubernetes-validate --strict: {checked} object-version checks passed, {len(failures)} failed "
          f"(k8s {', '.join(versions)}); custom resources not schema-checked: {', '.join(sorted(custom)) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
