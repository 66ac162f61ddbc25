"""Train the character LSTM template in the window and grab its Samples tab (the text it writes from a prompt)
into assets/screenshots/text_samples.png (run: .venv/bin/python scripts/text_screenshots.py)."""
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["NETBUILDER_CONFIG_DIR"] = tempfile.mkdtemp()

import torch  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.ui.app import TEMPLATES  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "assets" / "screenshots"


def main() -> None:
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow(Document.from_template(TEMPLATES / "char_lstm_python_docs.json"))
    window.resize(1280, 900)
    window.show()
    window.resizeDocks([window.docks["Training"]], [420], Qt.Orientation.Vertical)
    app.processEvents()
    window.fit()
    panel = window.training
    panel.tabs.setCurrentWidget(panel.samples_view)
    text = panel.samples_view.text
    text.prompt.setText("The with statement ")
    text.temperature.setValue(0.5)
    window.start_training()
    while panel.result is None:
        app.processEvents()
        time.sleep(0.01)
    while text.last is None or text.background.busy:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()
    window.grab().save(str(OUT / "text_samples.png"))
    print(panel.status.text())
    window.ask_save_changes = lambda: "discard"
    window.close()


if __name__ == "__main__":
    main()
