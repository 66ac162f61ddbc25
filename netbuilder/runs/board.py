"""TensorBoard on a document's runs: `tensorboard --logdir <runs folder>` as a child process bound to
127.0.0.1 on a free port. The window and `netbuilder tensorboard` both start it here; it is stopped with
them."""
from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ..errors import UserError

HOST = "127.0.0.1"


class BoardError(UserError):
    """TensorBoard could not start: the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Board:
    def __init__(self, logdir: Path):
        self.logdir = Path(logdir)
        self.process: subprocess.Popen | None = None
        self.port = 0
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self, port: int | None = None) -> str:
        """Start TensorBoard (it takes a few seconds to answer: see ready()); its address."""
        if importlib.util.find_spec("tensorboard") is None:
            raise BoardError("TensorBoard is not installed: pip install tensorboard (the project's constraints pin it)")
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(self.logdir),
                                         "--host", HOST, "--port", str(self.port), "--reload_interval", "5"],
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self.url

    def ready(self) -> bool:
        """Whether TensorBoard answers on its port (not just anything listening there)."""
        try:
            with urllib.request.urlopen(f"{self.url}data/environment", timeout=0.1) as reply:
                return "data_location" in json.loads(reply.read().decode("utf-8", "replace"))
        except (OSError, ValueError):
            return False

    def failed(self) -> str | None:
        """Why it stopped, when it did."""
        if self.process is None or self.process.poll() is None:
            return None
        self._log.seek(0)
        tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
        reason = " ".join(tail) or f"it exited with status {self.process.returncode}"
        if "address already in use" in reason.lower() or "port" in reason.lower() and "in use" in reason.lower():
            reason = f"port {self.port} is taken ({reason})"
        return f"TensorBoard stopped: {reason}"

    def wait(self, seconds: float = 60.0) -> str:
        """Wait until it answers; its address, or BoardError saying why not."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            problem = self.failed()
            if problem:
                raise BoardError(problem)
            if self.ready():
                return self.url
            time.sleep(0.1)
        self.stop()
        raise BoardError(f"TensorBoard did not answer on {self.url} within {seconds:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
