"""Trivy's config scanner on every rendered install path, offline, with the skips justified here.

Runs `trivy config --skip-check-update` (the checks embedded in the binary: no download) on
OUT/*.yaml, with the registries the kit trusts as check data, and fails on any finding that no
skip below covers, on a skip that no longer matches anything (stale), and on a rendered file
Trivy did not scan. Each skip names its check, what it is limited to and why it holds.

usage: deploy_trivy.py OUT_DIR
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# KSV-0125 (images from untrusted registries) trusts only these registries (check data
# ksv0125.trusted_registries; Trivy's default list holds only ECR, GCR and ACR):
#   ghcr.io    Petrel's own images, published and signed by the release workflow; deploys run
#              the digest whose signature they verified;
#   docker.io  the Docker Official Images redis and elasticsearch, and curlimages/curl, each
#              pinned by digest (deploy_consistency.py, images), so the registry cannot serve
#              other content under those references.
TRUSTED_REGISTRIES = ["ghcr.io", "docker.io"]


@dataclass(frozen=True)
class Skip:
    check: str
    # The finding's message must match this (re.search): what the skip is limited to.
    message: str
    reason: str


CONTAINER = r"^Container '({names})' of "
SKIPS = [
    *(Skip(check, CONTAINER.format(names="petrel"),
           f"{what} 1000 is the Petrel image's contract (docs/contract.md: files, /app and /data are "
           "owned accordingly); runAsNonRoot and Pod Security 'restricted' enforce non-root; no "
           "hostPath or host namespace is used, where an overlap with host users would matter")
      for check, what in (("KSV-0020", "UID"), ("KSV-0021", "GID"))),
    *(Skip(check, CONTAINER.format(names="redis"),
           "the official redis image's own user (UID 999) owns its data directory; runAsNonRoot "
           "and Pod Security 'restricted' enforce non-root; no hostPath or host namespace is used")
      for check in ("KSV-0020", "KSV-0021")),
    *(Skip(check, CONTAINER.format(names="elasticsearch|config|s3-web-identity-token"),
           "the official Elasticsearch image runs as UID 1000 (its files belong to it and to group "
           "0, the image's layout); runAsNonRoot and Pod Security 'restricted' enforce non-root; no "
           "hostPath or host namespace is used")
      for check in ("KSV-0020", "KSV-0021")),
    *(Skip(check, CONTAINER.format(names="snapshot|test"),
           "curlimages/curl runs as its own UID 100 / GID 101; these are run-to-completion pods "
           "(snapshot CronJob, helm test) under runAsNonRoot and Pod Security 'restricted'")
      for check in ("KSV-0020", "KSV-0021")),
    # The check flags key names that look like secrets. Petrel's ConfigMap holds the *path* of
    # the keys file and the two port numbers; the keys themselves are only in a Secret volume.
    # Limited to exactly these three names: any other name it flags fails.
    Skip("KSV-01010", r"""^ConfigMap 'petrel[a-z0-9-]*' .*'\{"ADMIN_PORT", "API_KEYS_FILE", "HTTP_PORT"\}'$""",
         "API_KEYS_FILE is the path of the mounted keys file (/etc/petrel/api-keys/keys), HTTP_PORT "
         "and ADMIN_PORT port numbers; the keys are only in the Secret volume"),
]


def main() -> int:
    out = Path(sys.argv[1])
    rendered = sorted(p.name for p in out.glob("*.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "trusted-registries.json").write_text(json.dumps({"ksv0125": {"trusted_registries": TRUSTED_REGISTRIES}}))
        cache = Path(os.environ.get("TRIVY_CACHE_DIR") or Path(tmp) / "cache")
        result = subprocess.run(
            ["trivy", "config", "--skip-check-update", "--quiet", "--format", "json",
             "--cache-dir", str(cache), "--config-data", str(data), str(out)],
            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAIL trivy exited {result.returncode}: {result.stderr.strip()}")
        return 1
    report = json.loads(result.stdout)
    results = {r["Target"]: r for r in report.get("Results") or []}
    failures, used, skipped, passed = [], set(), 0, 0
    for name in rendered:
        if name not in results or not results[name].get("MisconfSummary"):
            failures.append(f"{name}: not scanned (Trivy did not recognise it as Kubernetes configuration)")
            continue
        passed += results[name]["MisconfSummary"]["Successes"]
        for finding in results[name].get("Misconfigurations") or []:
            skip = next((s for s in SKIPS if s.check == finding["ID"] and re.search(s.message, finding["Message"])), None)
            if skip is None:
                failures.append(f"{name}: {finding['ID']} ({finding['Severity']}) {finding['Message']}")
            else:
                used.add(skip)
                skipped += 1
    failures += [f"stale skip (matches no finding): {s.check} {s.message}" for s in SKIPS if s not in used]
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"trivy config {report.get('Trivy', {}).get('Version', '')}: {len(rendered)} renders, {passed} checks passed, "
          f"{skipped} findings skipped ({len(used)} justified skips in {Path(__file__).name}), {len(failures)} failed; "
          f"trusted registries: {', '.join(TRUSTED_REGISTRIES)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
