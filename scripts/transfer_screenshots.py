"""The transfer lesson in the window, grabbed from a real X display (popup menus are drawn by the window system,
so an offscreen grab would miss the run list's menu) into assets/screenshots/:
  transfer_start_from_run.png  step 1 trained, the run list's menu open on its run (Start a New Network from
                               This Run, Start the Lesson's Next Step from This Run)
  transfer_lesson.png          step 2 made from that run and trained: the three networks' curves

Run under Xvfb, e.g.:
  Xvfb :99 -screen 0 1280x900x24 & DISPLAY=:99 QT_QPA_PLATFORM=xcb OMP_NUM_THREADS=1 \
      PYTHONPATH=. .venv/bin/python scripts/transfer_screenshots.py
(ImageMagick's `import -window root` takes the pictures.) Step 1 and step 2 train as the lesson says."""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["NETBUILDER_CONFIG_DIR"] = tempfile.mkdtemp()  # default layout, no recent files

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.ui.app import TEMPLATES  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "assets" / "screenshots"


def wait(app, seconds: float = 0.5) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def train(app, window) -> None:
    window.start_training()
    while window.training.result is None:
        app.processEvents()
        time.sleep(0.02)
    print(window.training.status.text() if hasattr(window.training, "status") else "", flush=True)


def grab(app, name: str) -> None:
    wait(app, 1.0)
    subprocess.run(["import", "-window", "root", str(OUT / name)], check=True)
    print("wrote", OUT / name, flush=True)


def main() -> None:
    if os.environ.get("QT_QPA_PLATFORM") != "xcb" or not os.environ.get("DISPLAY"):
        sys.exit("run under an X display (Xvfb) with QT_QPA_PLATFORM=xcb: see this script's docstring")
    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow(Document.from_template(TEMPLATES / "transfer_lesson.json"))
    window.ask_save_changes = lambda: "discard"
    window.move(0, 0)
    window.resize(1280, 900)
    window.show()
    window.resizeDocks([window.docks["Training"]], [380], Qt.Orientation.Vertical)
    wait(app)
    window.fit()
    train(app, window)
    run_list = window.training.run_list
    state = window.training.runs.current
    item = run_list.item_of(state.id)
    run_list.scrollToItem(item)
    point = run_list.visualItemRect(item).center()
    menu = run_list.menu_for(state, item)
    menu.popup(run_list.viewport().mapToGlobal(point + QPoint(20, 0)))
    wait(app)
    grab(app, "transfer_start_from_run.png")
    menu.close()
    [action for action in menu.actions() if action.text().startswith("Start the Lesson's Next Step")][0].trigger()
    wait(app)
    window.resizeDocks([window.docks["Training"]], [420], Qt.Orientation.Vertical)
    window.fit()
    train(app, window)
    window.training.tabs.setCurrentIndex(0)
    for view in (window.training.loss_plot, window.training.acc_plot):
        view.redraw()
    grab(app, "transfer_lesson.png")
    window.close()


if __name__ == "__main__":
    main()
