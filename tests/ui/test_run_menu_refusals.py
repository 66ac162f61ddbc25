"""The run list's Optimize… and Serve This Run are greyed out, with the reason as their tip, for a run they
cannot take (a diffusion model: no labels to compare, and two Inputs to feed), rather than failing after
the user has filled the dialog in or the service has started."""
from pathlib import Path

import torch
from PySide6.QtWidgets import QMenu

from netbuilder.cli import main
from netbuilder.runs.run import Run

from uihelpers import make_window

ROOT = Path(__file__).resolve().parents[2]


def test_a_diffusion_run_is_neither_optimized_nor_served_and_the_menu_says_why(qtbot, tmp_path):
    doc = tmp_path / "ring.json"
    doc.write_text((ROOT / "templates" / "diffusion_ring.json").read_text())
    torch.set_num_threads(1)
    assert main(["train", str(doc), "--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    run = Run.load(tmp_path / "run")
    assert run.weights() is not None
    window = make_window(qtbot)
    menu = QMenu()

    class State:
        running = False
    State.run = run
    for entry in window.training.run_list.entries:
        entry(menu, State)
    optimize, serve = menu.actions()
    assert (optimize.text(), serve.text()) == ("Optimize…", "Serve This Run")
    assert not optimize.isEnabled() and not serve.isEnabled() and menu.toolTipsVisible()
    assert optimize.toolTip() == ("Not for this run: trained with the denoising recipe: optimising compares a"
                                  " network's answers to its inputs with the test labels, which that recipe's"
                                  " networks do not give")
    assert serve.toolTip() == "Not for this run: the service feeds one Input, and this network has 2"
