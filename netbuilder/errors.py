"""One error boundary. Errors that come from what a user gave (a document, a setting, a data file, a
checkpoint, a command) are UserError: their message says where and what, and it is all the user sees.
Anything else is a bug: its traceback goes to the log, and the user is told "an internal error, see the log".
Every entry point (each command, each window action, the training thread) uses `boundary` or `describe`."""
from __future__ import annotations

import logging
import sys
import threading
from contextlib import contextmanager

log = logging.getLogger("netbuilder")


class UserError(Exception):
    """What the user gave cannot be used; str(error) says where and what, in words."""


def log_file():
    from .paths import config_dir

    return config_dir() / "netbuilder.log"


def start_logging() -> None:
    """Log to netbuilder.log in the config folder (once per process). The log is the only place a traceback
    goes: without a handler of its own, Python would print the logger's errors on stderr."""
    if any(getattr(h, "netbuilder", False) for h in log.handlers):
        return
    try:
        handler = logging.FileHandler(log_file(), encoding="utf-8")
    except OSError:  # no log file: the messages still reach the user, the tracebacks nowhere
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.netbuilder = True
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def log_threads() -> None:
    """An exception that ends a thread of a command goes to the log with its traceback, never to the terminal
    (TensorBoard's writer thread on a full disk printed one). Whoever uses the thread says what went wrong: the
    writer raises the same error where the run writes to it. A hook set by someone else (the window's, a test
    runner's) is kept."""
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _thread_failed


def _thread_failed(args) -> None:
    if args.exc_type is SystemExit:
        return
    start_logging()
    log.error("the thread %s failed", getattr(args.thread, "name", "?"),
              exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def describe(error: BaseException) -> str:
    """The message for the user: a UserError's own words, an OS error's file and reason, or, for a bug,
    where its traceback was logged."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    if isinstance(error, MemoryError):
        return "out of memory: the network or the data is too large for this machine"
    start_logging()
    log.error("internal error", exc_info=error)
    return f"an internal error ({type(error).__name__}); the details are in {log_file()}"


@contextmanager
def boundary(stream=None):
    """Around a command: user errors become 'error: ...' on stderr and exit status 1 (the caller's
    SystemExit carries it); a bug becomes the internal-error message, its traceback in the log."""
    try:
        yield
    except KeyboardInterrupt:
        print("\ninterrupted", file=stream or sys.stderr)
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - the boundary itself
        print(f"error: {describe(e)}", file=stream or sys.stderr)
        raise SystemExit(1) from None
