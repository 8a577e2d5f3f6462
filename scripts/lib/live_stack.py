"""Prometheus and Alertmanager on 127.0.0.1 for the live checks, each a petrel_process.Process
in its own directory of the run's work directory (the callers register stop() on an ExitStack,
so Ctrl-C and SIGTERM clean up too)."""

import json
import re
import urllib.parse
from pathlib import Path

import http1
from petrel_process import HOST, Process, free_port


class Prometheus(Process):
    poll_interval = 0.1
    def __init__(self, workdir: Path):
        super().__init__("prometheus", [], workdir / "prometheus")
        self.port = free_port()

    def start(self, config: str, flags: list, timeout: float = 30) -> None:
        config_path = self.dir / "prometheus.yml"
        config_path.write_text(config)
        self.argv = ["prometheus", f"--config.file={config_path}", f"--storage.tsdb.path={self.dir / 'tsdb'}",
                     f"--web.listen-address={HOST}:{self.port}", *flags]
        super().start(self.port, "/-/ready", timeout)

    def api(self, path: str, **params) -> dict:
        response = http1.request("GET", f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}")
        answer = json.loads(response.body)
        if response.status != 200 or answer.get("status") != "success":
            raise RuntimeError(f"Prometheus /api/v1/{path} {params}: HTTP {response.status}: "
                               f"{answer.get('error', response.body[:200])}")
        return answer["data"]

    def query(self, expr: str) -> list:
        return self.api("query", query=expr)["result"]

    def label_values(self, selector: str, label: str) -> list:
        """The values of label on the series selector matches, as Grafana's label_values() asks."""
        return self.api(f"label/{label}/values", **{"match[]": selector})

    def alerts(self) -> list:
        return self.api("alerts")["alerts"]


class Alertmanager(Process):
    poll_interval = 0.1
    def __init__(self, workdir: Path):
        super().__init__("alertmanager", [], workdir / "alertmanager")
        self.port = free_port()

    def start(self, config: str, timeout: float = 30) -> None:
        config_path = self.dir / "alertmanager.yml"
        config_path.write_text(config)
        # An empty cluster address turns off the HA gossip, which would listen on 0.0.0.0:9094.
        self.argv = ["prometheus-alertmanager", f"--config.file={config_path}", f"--storage.path={self.dir / 'data'}",
                     f"--web.listen-address={HOST}:{self.port}", "--cluster.listen-address="]
        super().start(self.port, "/-/ready", timeout)

    def alerts(self) -> list:
        response = http1.request("GET", f"{self.url}/api/v2/alerts")
        if response.status != 200:
            raise RuntimeError(f"Alertmanager /api/v2/alerts: HTTP {response.status}: {response.body[:200]!r}")
        return json.loads(response.body)


def exported_metric_names(exposition: str) -> set:
    """Series names in a Prometheus text exposition; a histogram's TYPE line stands for its
    _bucket, _sum and _count series even before any observation."""
    names = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            names |= {name + s for s in ("_bucket", "_sum", "_count")} if kind.strip() == "histogram" else {name}
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names
