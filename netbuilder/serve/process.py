"""The service as a child process (`netbuilder serve` in a session of its own, so that stopping it stops LitServe's
workers too): started on a free local port, ready when /health answers, stopped for sure. The app's Serve This
Run, the tests and the bench use it."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServiceProcess:
    def __init__(self, document: str, what: list[str], port: int | None = None, extra: list[str] = (),
                 log: Path | None = None, tied: bool = True):
        """`what`: ["--run", NAME] or ["--weights", PT] or ["--onnx", MODEL]; `extra`: more options. A `tied`
        service stops when this process ends, however it ends (it reads its stdin, a pipe held here)."""
        self.document, self.port = document, port or free_port()
        self.args = [sys.executable, "-m", "netbuilder", "serve", document, *what, "--port", str(self.port), *extra,
                     *(["--stop-with-stdin"] if tied else [])]
        self.tied = tied
        self.log = log
        self.process: subprocess.Popen | None = None
        self._log_file = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def curl(self, example: str) -> str:
        return f"curl -X POST {self.url}/predict -H 'Content-Type: application/json' -d '{{\"inputs\": {example}}}'"

    def start(self) -> None:
        self._log_file = open(self.log, "wb") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop
        self.process = subprocess.Popen(self.args, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.PIPE if self.tied else subprocess.DEVNULL,
                                        start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until /health answers 200; RuntimeError with the service's own words if it ends or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service ended (status {self.process.returncode}): {self.output()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("GET", "/health", timeout=2)[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the service did not answer within {timeout:.0f} s: {self.output()}")

    def request(self, method: str, path: str, body: bytes | dict | None = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, object]:
        """(status, the answer as JSON, else as text)."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        try:
            return answer.status, json.loads(data)
        except ValueError:
            return answer.status, data.decode("utf-8", "replace")

    def output(self) -> str:
        if not self.log or not Path(self.log).is_file():
            return "(no log)"
        return Path(self.log).read_text(errors="replace")[-2000:]

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the service's session (LitServe shuts its workers down), SIGKILL after `grace` seconds."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.process is not None:
                os.killpg(self.process.pid, signal.SIGKILL)  # workers the service left behind
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self._log_file not in (None, subprocess.DEVNULL):
            self._log_file.close()
            self._log_file = None
