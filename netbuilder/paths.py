"""Where netbuilder keeps its settings, logs, recovery files and runs (no Qt: the terminal uses it too)."""
from __future__ import annotations

import errno
import os
import sys
from pathlib import Path


def config_dir() -> Path:
    """$NETBUILDER_CONFIG_DIR (tests set it), else the per-user config folder that Qt would pick for
    the application "netbuilder" of the organisation "netbuilder"."""
    path = os.environ.get("NETBUILDER_CONFIG_DIR")
    if path:
        folder = Path(path)
    elif sys.platform == "win32":
        folder = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "netbuilder" / "netbuilder"
    elif sys.platform == "darwin":
        folder = Path.home() / "Library" / "Preferences" / "netbuilder" / "netbuilder"
    else:
        folder = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "netbuilder" / "netbuilder"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def blocks_dir() -> Path:
    """Where "My blocks" are kept: one JSON file per block, shared by every document."""
    return config_dir() / "blocks"


def why_missing(path: str | os.PathLike) -> str:
    """Why there is no file at `path`, in words: it does not exist, it is a loop of symbolic links, or it is a
    link to something that does not exist (to say after `Path.exists()` was false)."""
    path = Path(path)
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a loop of symbolic links (they lead round to each other, never to a file)"
        if path.is_symlink():
            return f"a symbolic link to '{os.readlink(path)}', which does not exist"
        if e.errno == errno.ENOTDIR:
            return "no such file (a part of the path before it is a file, not a folder)"
        if e.errno == errno.EACCES:
            return "not readable (permission denied on a folder on the way)"
        return "no such file"
    return "no such file"
