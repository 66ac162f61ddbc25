"""Which process owns something on disk (a run that trains, a sweep's trial, a recovery file), and whether it
still runs: its host, its pid and, where the system says, when it started (so a pid used again by a later
process is not taken for it)."""
from __future__ import annotations

import os
import socket
import sys


def alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (Windows: only this process is known)."""
    if pid == os.getpid():
        return True
    if pid <= 0 or sys.platform == "win32":  # os.kill would end it there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists (another user's)
        return True
    return True


def started(pid: int) -> int | None:
    """When the process started, in the system's clock ticks since boot (Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def this_process() -> dict:
    """The owner record of this process: {"host", "pid", "started"}."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": started(pid)}


def still_running(owner: dict | None) -> bool:
    """Whether the process an owner record names runs now (False for a record of another machine: it cannot
    be asked)."""
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return False
    try:
        pid = int(owner.get("pid") or 0)
    except (TypeError, ValueError):
        return False
    if not alive(pid):
        return False
    then, now = owner.get("started"), started(pid)
    return then is None or now is None or then == now
