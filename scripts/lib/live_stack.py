"""Local servers for the live checks: Petrel, Prometheus and Alertmanager on 127.0.0.1.

Each server runs as a child process with its output in a log file of the run's work directory,
and is stopped by its PID when stop() is called (the callers register stop() on an ExitStack,
so Ctrl-C and SIGTERM clean up too). Petrel gets a clean environment: a developer's shell
(COUNTER_STORE=redis, a ./.env in the repository) must not change what the checks measure.
"""
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A port nobody listens on now. For servers that cannot report the port they bound to."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 5) -> tuple:
    """(status, body) of one request; connection errors raise OSError."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_until(condition, timeout: float, interval: float = 0.2):
    """Polls condition() until it returns something truthy (returned) or timeout passes (None).
    Connection errors count as 'not yet': the server may still be starting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class Server:
    def __init__(self, name: str, workdir: Path):
        self.name = name
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.process = None

    def spawn(self, argv: list, env: dict | None = None) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=env, cwd=self.workdir, start_new_session=True)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if not self.running():
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def failure(self, what: str) -> RuntimeError:
        """An error that says what did not happen, with the end of the server's log."""
        state = "is running" if self.running() else f"exited with status {self.process.returncode}" if self.process else "never started"
        tail = self.log_path.read_text(errors="replace").splitlines()[-15:] if self.log_path.exists() else []
        return RuntimeError("\n".join([f"{self.name} {what} ({self.name} {state}); last lines of {self.log_path}:"] + tail))


class Petrel(Server):
    """The service, as a developer runs it: APP_ENV=development, SQLite under a temporary
    DATA_DIR, and an API key file. Every request sends the key, so the checks keep working
    once writes and operator endpoints require it. downward_api (POD_NAME, POD_NAMESPACE,
    NODE_NAME) gives it the identity of a pod, as Kubernetes does."""

    def __init__(self, binary: str, workdir: Path, downward_api: dict | None = None):
        super().__init__("petrel", workdir)
        self.binary = str(Path(binary).resolve())
        self.downward_api = downward_api or {}
        self.api_key = secrets.token_hex(16)
        self.keys_file = workdir / "api-keys"
        self.keys_file.write_text(self.api_key + "\n")
        self.keys_file.chmod(0o600)
        self.port = None

    def start(self, port: int = 0, timeout: float = 20) -> None:
        """Starts the service; port 0 lets it pick a free one, which it then logs."""
        (self.workdir / "data").mkdir(exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
               "APP_ENV": "development", "LOG_FORMAT": "json", "DATA_DIR": str(self.workdir / "data"),
               "API_KEYS_FILE": str(self.keys_file), "SHUTDOWN_DRAIN_SECONDS": "0", **self.downward_api}
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.spawn([self.binary], env)

        def listening_port():
            if not self.running():
                raise self.failure("did not start")
            with open(self.log_path, "rb") as log:
                log.seek(log_offset)
                for line in log:
                    if b'"listening"' in line:
                        return json.loads(line)["port"]
            return None
        self.port = wait_until(listening_port, timeout)
        if not self.port or not wait_until(lambda: self.request("GET", "/healthz")[0] == 200, timeout):
            raise self.failure(f"did not answer /healthz within {timeout:.0f}s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, json_body: dict | None = None) -> tuple:
        headers = {"X-API-Key": self.api_key}
        body = None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        return http(method, self.url + path, body, headers)


class Prometheus(Server):
    def __init__(self, workdir: Path):
        super().__init__("prometheus", workdir)
        self.port = free_port()

    def start(self, config: str, flags: list, timeout: float = 30) -> None:
        config_path = self.workdir / "prometheus.yml"
        config_path.write_text(config)
        self.spawn(["prometheus", f"--config.file={config_path}", f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}", *flags])
        if not wait_until(lambda: http("GET", f"{self.url}/-/ready")[0] == 200, timeout):
            raise self.failure(f"was not ready within {timeout:.0f}s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, **params) -> dict:
        status, body = http("GET", f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}")
        answer = json.loads(body)
        if status != 200 or answer.get("status") != "success":
            raise RuntimeError(f"Prometheus /api/v1/{path} {params}: HTTP {status}: {answer.get('error', body[:200])}")
        return answer["data"]

    def query(self, expr: str) -> list:
        return self.api("query", query=expr)["result"]

    def label_values(self, selector: str, label: str) -> list:
        """The values of label on the series selector matches, as Grafana's label_values() asks."""
        return self.api(f"label/{label}/values", **{"match[]": selector})

    def alerts(self) -> list:
        return self.api("alerts")["alerts"]


class Alertmanager(Server):
    def __init__(self, workdir: Path):
        super().__init__("alertmanager", workdir)
        self.port = free_port()

    def start(self, config: str, timeout: float = 30) -> None:
        config_path = self.workdir / "alertmanager.yml"
        config_path.write_text(config)
        # An empty cluster address turns off the HA gossip, which would listen on 0.0.0.0:9094.
        self.spawn(["prometheus-alertmanager", f"--config.file={config_path}", f"--storage.path={self.workdir / 'alertmanager'}",
                    f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address="])
        if not wait_until(lambda: http("GET", f"{self.url}/-/ready")[0] == 200, timeout):
            raise self.failure(f"was not ready within {timeout:.0f}s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alerts(self) -> list:
        status, body = http("GET", f"{self.url}/api/v2/alerts")
        if status != 200:
            raise RuntimeError(f"Alertmanager /api/v2/alerts: HTTP {status}: {body[:200]!r}")
        return json.loads(body)


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
