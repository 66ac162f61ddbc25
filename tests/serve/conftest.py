"""One service for the tests of this folder: the CNN template trained on the digits, served by a child process
on a free local port (started once, always stopped)."""
from pathlib import Path

import pytest
import torch

from netbuilder.cli import main
from netbuilder.serve.process import ServiceProcess

CNN = Path(__file__).resolve().parents[2] / "templates" / "cnn_digits.json"
WINDOW = 250  # the first 250 test samples: their normed distances are 0.06 and 0.09, below 0.1


@pytest.fixture(scope="session")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    doc = folder / "cnn.json"
    doc.write_text(CNN.read_text())
    torch.set_num_threads(1)
    assert main(["train", str(doc), "--epochs", "6", "--out", str(folder / "run")]) == 0
    process = ServiceProcess(str(doc), ["--run", str(folder / "run")], log=folder / "serve.log",
                             extra=["--max-body", "50000", "--drift-window", str(WINDOW)])
    process.start()
    try:
        process.wait_ready(180)
        yield process, doc, folder / "run", WINDOW
    finally:
        process.stop()
    assert not process.running()
