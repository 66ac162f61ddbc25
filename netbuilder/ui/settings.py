"""Where netbuilder keeps its settings, recent files, log and recovery files."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ..paths import config_dir

MAX_RECENT = 8


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



def _flag(name: str, default: bool = False) -> bool:
    return settings().value(name, default) in (True, "true", "1", 1)


def welcomed() -> bool:
    """Whether netbuilder has started before (and shown its welcome page)."""
    return _flag("welcomed")


def set_welcomed() -> None:
    settings().setValue("welcomed", True)


def show_welcome() -> bool:
    """Whether the welcome page opens at start: yes until the user unticks "Show this page"."""
    return _flag("show_welcome", True)


def set_show_welcome(show: bool) -> None:
    settings().setValue("show_welcome", bool(show))
