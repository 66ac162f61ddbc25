"""A digits network trained for the optimize tests."""
from pathlib import Path

import torch

from netbuilder.cli import main

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def trained(folder: Path, template: str, epochs: int) -> tuple[Path, Path]:
    doc = folder / f"{template}.json"
    doc.write_text((TEMPLATES / f"{template}.json").read_text())
    torch.set_num_threads(1)
    assert main(["train", str(doc), "--epochs", str(epochs), "--out", str(folder / "run")]) == 0
    return doc, folder / "run"
