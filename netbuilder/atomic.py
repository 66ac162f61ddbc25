"""Writing files safely: every file netbuilder writes goes through write_atomic.

The content goes to a temporary file beside the target, is flushed to disk, and then replaces the
target in one step, so a crash or a full disk leaves the old file whole. A symlink is written through
(its target is replaced, the link stays), and an existing file keeps its permissions. A target that exists
and is not a regular file (a device, a pipe, a socket, a folder) is refused, never replaced.

A full disk is said as such (OSError ENOSPC naming the file), however the writer reports it: torch.save
turns the OSError of a write into a RuntimeError of its own ("unexpected pos"). The temporary files are
named `.<name>.<process id>.<random>.tmp`; one left behind by a process that was killed is removed by
remove_stale when its folder is next opened."""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO, Callable

from .paths import why_missing
from .processes import alive

STALE_SECONDS = 3600.0  # a temporary file untouched this long is a leftover, whoever wrote it
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[a-z0-9_]{8}\.tmp$")
_OLD_TEMPS = (re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$"),  # the names earlier versions used
              re.compile(r"^(?P<name>(last|best)\.pt)\.part$"))
_writing: set[str] = set()  # this process's temporary files being written now (made and listed under _lock)
_lock = threading.Lock()


class NotAFile(OSError):
    """The target exists and is not a regular file: writing would replace a device, a pipe or a folder."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def no_space(error: BaseException) -> bool:
    """Whether an error is a full disk (or a full quota)."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


class _Watched:
    """A file that remembers the first OSError of a write, for writers (torch.save) that hide it."""

    def __init__(self, file: BinaryIO):
        self._file, self.error = file, None

    def write(self, data) -> int:
        try:
            return self._file.write(data)
        except OSError as e:
            self.error = self.error or e
            raise

    def __getattr__(self, name):
        return getattr(self._file, name)


def write_atomic(path: str | os.PathLike, content: bytes | str | Callable[[BinaryIO], None]) -> None:
    """Write `content` (bytes, text as UTF-8, or a function that writes to a binary file) to `path`.
    Raises OSError when it cannot be written (NotAFile for a target that is not a regular file; errno ENOSPC
    for a full disk); the old file is then untouched and no temp file stays."""
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    else:
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, a pipe or a socket)"
            raise NotAFile(errno.EEXIST, f"{kind}: netbuilder writes files and does not replace it", str(path))
        mode = stat.S_IMODE(info.st_mode)
    with _lock:  # another thread's remove_stale never sees it unlisted
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
        _writing.add(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            _write(f, content, target)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if e.filename is None and e.errno is not None:  # a write's error: name the file
            raise OSError(e.errno, e.strerror or str(e), str(path)) from None
        raise
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        _writing.discard(tmp)


def append_whole(path: str | os.PathLike, data: bytes) -> None:
    """Add `data` at the end of the file at `path` (made when missing), all of it or none: a write cut short (a
    full disk) is taken back, so the file keeps only whole rows. Raises OSError naming the file (errno ENOSPC
    for a full disk); a target that is not a regular file is refused (NotAFile)."""
    with open(path, "ab", buffering=0) as f:  # unbuffered: nothing is left to write at close
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise NotAFile(errno.EEXIST, "not a regular file: netbuilder appends only to files", str(path))
        size, rest = f.seek(0, os.SEEK_END), memoryview(data)
        try:
            while rest:  # a write may take part of it, the next one then says why
                rest = rest[f.write(rest):]
        except OSError as e:
            with contextlib.suppress(OSError):
                f.truncate(size)
            raise OSError(e.errno, e.strerror or str(e), str(path)) from None


def _write(f: BinaryIO, content, target: Path) -> None:
    if not callable(content):
        f.write(content.encode("utf-8") if isinstance(content, str) else content)
        return
    watched = _Watched(f)
    try:
        content(watched)
    except OSError:
        raise
    except Exception:
        if watched.error is not None:
            raise watched.error from None
        if shutil.disk_usage(target.parent).free == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target)) from None
        raise


def remove_stale(folder: str | os.PathLike, name: str | None = None) -> list[str]:
    """Remove the temporary files that writes of netbuilder left in `folder` (of the file called `name`, or
    of any) when a process was killed mid-write: those of a process that is gone, and any untouched for an
    hour. Returns the names removed; a folder that cannot be read or changed is left as it is."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    now, real = time.time(), os.path.realpath(folder)  # the paths write_atomic lists are real ones
    for entry in entries:
        temp = _temp_of(entry.name)
        if temp is None or (name is not None and temp[0] != name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            if old or (temp[1] is not None and _writer_gone(temp[1], os.path.join(real, entry.name))):
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            continue
    return removed


def _temp_of(name: str) -> tuple[str, int | None] | None:
    """(the name of the file it was to become, the id of the process writing it (None: not known)) for the name
    of a temporary file of write_atomic (or of earlier versions), else None."""
    found = _TEMP.match(name)
    if found:
        return found["name"], int(found["pid"])
    for pattern in _OLD_TEMPS:
        found = pattern.match(name)
        if found:
            return found["name"], None
    return None


def _writer_gone(pid: int, path: str) -> bool:
    """Whether the process that named a temporary file is no longer writing it."""
    if pid == os.getpid():
        with _lock:
            return path not in _writing
    if sys.platform == "win32":  # no harmless way to ask: only the age counts there
        return False
    return not alive(pid)


_REMOVING = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[a-z0-9_]{8}\.removing$")


def remove_folder(path: str | os.PathLike) -> None:
    """Remove a folder and all in it, in one step for anyone who lists its parent: it is first renamed to a
    hidden name beside itself (`.<name>.<process id>.<random>.removing`), then deleted. A removal cut short (a
    kill, a file that cannot be deleted) leaves only that hidden folder, which remove_stale_folders clears later.
    A link is refused (what it points to is not the app's to delete). Raises OSError saying why."""
    path = Path(path)
    if path.is_symlink() or not path.is_dir():
        why = "a link, not a folder of its own" if path.is_symlink() else why_missing(path) or "not a folder"
        raise NotAFile(errno.ENOTDIR, why, str(path))
    hidden = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.removing")
    os.rename(path, hidden)  # gone from every listing at once
    failed: list[str] = []
    shutil.rmtree(hidden, onerror=lambda function, name, info: failed.append(f"{name}: {info[1]}"))
    if failed:
        raise OSError(errno.EACCES, f"{len(failed)} file(s) could not be deleted (first: {failed[0]}); they wait"
                                    " in a hidden folder to be removed later", str(hidden))


def remove_stale_folders(folder: str | os.PathLike) -> list[str]:
    """Remove what removals cut short left in `folder` (see remove_folder): those of a process that is gone.
    Returns the names removed; one that still cannot be removed stays."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        found = _REMOVING.match(entry.name)
        if found is None or int(found["pid"]) != os.getpid() and alive(int(found["pid"])):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.lexists(entry.path):
                removed.append(entry.name)
    return removed
