"""Where netbuilder keeps its settings, recent files, log and recovery files."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 8


def config_dir() -> Path:
    """$NETBUILDER_CONFIG_DIR (tests set it), else the system's per-user config folder."""
    path = os.environ.get("NETBUILDER_CONFIG_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppConfigLocation) or str(Path.home() / ".netbuilder")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settings() -> QSettings:
    return QSettings(str(config_dir() / "settings.ini"), QSettings.Format.IniFormat)


def recent_files() -> list[str]:
    value = settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [v for v in value or [] if isinstance(v, str)]


def add_recent(path: str) -> None:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files() if f != path]
    settings().setValue("recent", files[:MAX_RECENT])
