"""Where netbuilder keeps its settings, logs, recovery files and runs (no Qt: the terminal uses it too)."""
from __future__ import annotations

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
