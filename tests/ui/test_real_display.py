"""The window on a real X server (Xvfb, Qt's xcb platform), as users run it: offscreen rendering skips calls
that xcb makes (QPaintDevice.metric on every paint), so a bug there passed every offscreen test. The tour
(real_display_tour.py) opens every dock, tab and dialog and fails on any internal error or Qt warning."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOUR = Path(__file__).with_name("real_display_tour.py")


@pytest.fixture
def x_display():
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed: `make system` installs it (or: sudo apt-get install xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def test_every_dock_tab_and_dialog_opens_on_a_real_display(x_display, tmp_path):
    from netbuilder.ui.display_check import message, missing_libraries

    assert not missing_libraries(), message(missing_libraries())
    env = dict(os.environ, DISPLAY=x_display, QT_QPA_PLATFORM="xcb", NETBUILDER_CONFIG_DIR=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, str(TOUR)], env=env, capture_output=True, text=True, timeout=300)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "platform: xcb" in report and "SweepDialog" in report and "trained: True" in report
    assert "asked before closing: cancel" in report and "QMessageBox 'Unsaved changes'" in report
