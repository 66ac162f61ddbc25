"""Cold start: seconds from starting the app until its window is shown and the event loop takes input, against
a bare Qt window (QApplication, a main window with a canvas view) started the same way in the same run.
Each side is a new Python process (the app in a fresh home: a first start, with its welcome page). Both print when their first event-loop
turn after show() runs, and quit. Reported: the medians of interleaved starts, their ratio, and whether torch
was already imported when the window took input (issue 21: within 1 s, torch imported after the first paint).
Run: .venv/bin/python bench/bench_startup.py
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPEATS = 5
PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
run = QApplication.exec
def first_turn(*_):
    QTimer.singleShot(0, lambda: (print("shown", "torch" in sys.modules, flush=True), QApplication.quit()))
    return run()
QApplication.exec = first_turn
"""
APP = PROBE + """
from netbuilder.ui.app import run as start
start([])
"""
BARE = PROBE + """
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QMainWindow
app = QApplication([])
window = QMainWindow()
window.setCentralWidget(QGraphicsView(QGraphicsScene()))
window.show()
app.exec()
"""


def start(code: str, home: str) -> tuple[float, bool]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), HOME=home,
               XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_DATA_HOME=os.path.join(home, "data"))
    began = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - began
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("shown")), None)
    if line is None:
        raise SystemExit(f"the window was never shown:\n{out.stderr[-2000:]}")
    return took, line.endswith("True")


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        app, bare, torch_first = [], [], []
        for _ in range(REPEATS):
            took, with_torch = start(APP, home)
            app.append(took)
            torch_first.append(with_torch)
            bare.append(start(BARE, home)[0])
    a, b = statistics.median(app), statistics.median(bare)
    print(f"cold start, median of {REPEATS} interleaved starts: netbuilder {a:.2f} s, a bare Qt window {b:.2f} s,"
          f" ratio {a / b:.2f}; torch imported before the window took input: {any(torch_first)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
