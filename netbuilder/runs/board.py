"""TensorBoard on a document's runs: `tensorboard --logdir <runs folder>` as a child process bound to
127.0.0.1 on a free port. The window and `netbuilder tensorboard` both start it here; it is stopped with
them, also when they crash or are killed: it runs under board_guard.py, which stops it when this process's
end of its stdin closes, in a process group of its own that stop() ends whole (TensorBoard may start a data
server of its own)."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ..errors import UserError

HOST = "127.0.0.1"
GUARD = Path(__file__).with_name("board_guard.py")


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
        own_group = {"start_new_session": True} if os.name == "posix" else \
            {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        self.process = subprocess.Popen([sys.executable, str(GUARD), "--logdir", str(self.logdir),
                                         "--host", HOST, "--port", str(self.port), "--reload_interval", "5"],
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
                                        **own_group)  # the pipe's end here closes when this process ends
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

    def _signal(self, sig) -> None:
        """Send `sig` to the process group (POSIX), or end the process (elsewhere: sig None)."""
        try:
            if sig is None:
                self.process.kill()
            else:
                os.killpg(self.process.pid, sig)  # the group is the guard's own: its id is the guard's
        except (ProcessLookupError, PermissionError):
            pass  # already gone

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
        """End TensorBoard and everything it started (its process group)."""
        process = self.process
        if process is not None:
            if process.poll() is None:
                self._signal(signal.SIGTERM if os.name == "posix" else None)
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL if os.name == "posix" else None)
                    process.wait()
            if os.name == "posix":
                self._signal(signal.SIGKILL)  # what is left of the group (a data server)
            if process.stdin is not None:
                process.stdin.close()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
