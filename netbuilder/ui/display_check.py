"""Before Qt opens a window on X11: are the system libraries its xcb platform needs installed? Without them Qt
aborts with "xcb-cursor0 or libxcb-cursor0 is needed…", naming one library at a time. This names them all,
with the line that installs them (Debian and Ubuntu package names).

`python -m netbuilder.ui.display_check` prints what is missing (exit 1) or nothing (exit 0);
`--packages` prints every package the window needs, for set-up scripts (`make system`)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# The libraries that Qt's xcb platform plugin loads, and the Debian package of each.
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6", "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0",
}
FONTS = "fonts-dejavu-core"  # Qt ships no fonts: without one, every label is empty boxes


def qt_folder() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    return Path(spec.origin).parent / "Qt" if spec and spec.origin else None


def missing_libraries() -> list[str]:
    """The shared libraries the xcb plugin needs that the loader cannot find (empty when all are there, or
    when this is not a Linux with ldd)."""
    qt = qt_folder()
    if not sys.platform.startswith("linux") or qt is None or shutil.which("ldd") is None:
        return []
    missing = []
    for library in (qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"):
        if not library.exists():
            continue
        try:
            out = subprocess.run(["ldd", str(library)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        missing += [line.split()[0] for line in out.splitlines() if "not found" in line]
    if not _loadable("libxcb-cursor.so.0"):  # Qt opens it at run time, so ldd does not list it
        missing.append("libxcb-cursor.so.0")
    return sorted(set(missing))


def _loadable(name: str) -> bool:
    import ctypes

    try:
        ctypes.CDLL(name)
        return True
    except OSError:
        return False


def message(missing: list[str]) -> str:
    packages = sorted({PACKAGES.get(name, f"(the package with {name})") for name in missing})
    return ("netbuilder: the window needs system libraries that are not installed: " + ", ".join(missing)
            + ".\nInstall them with:\n    sudo apt-get install " + " ".join(packages)
            + "\n(the README's Quick start lists every system package; `make system` installs them as root)")


def uses_xcb() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return sys.platform.startswith("linux") and (platform in ("", "xcb") and bool(os.environ.get("DISPLAY"))
                                                 and not os.environ.get("WAYLAND_DISPLAY") or platform == "xcb")


def main(argv: list[str]) -> int:
    if "--packages" in argv:
        print(" ".join(sorted(set(PACKAGES.values())) + [FONTS]))
        return 0
    missing = missing_libraries()
    if missing:
        print(message(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
