"""Writing files safely: every file netbuilder writes goes through write_atomic.

The content goes to a temporary file beside the target, is flushed to disk, and then replaces the
target in one step, so a crash or a full disk leaves the old file whole. A symlink is written through
(its target is replaced, the link stays), and an existing file keeps its permissions."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike, content: bytes | str | Callable[[BinaryIO], None]) -> None:
    """Write `content` (bytes, text as UTF-8, or a function that writes to a binary file) to `path`.
    Raises OSError when it cannot be written; the old file is then untouched and no temp file stays."""
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode("utf-8") if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
