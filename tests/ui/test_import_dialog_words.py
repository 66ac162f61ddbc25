"""The import dialog speaks of its own fields (Input shapes, Arguments), never the command line's options, and
counts the shapes forward needs without its arguments that have a default."""
from netbuilder.ui.import_dialog import ImportDialog, dialog_words

MODEL = '''import torch
from torch import nn


class Masked(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, src, has_mask=True):
        return self.fc(src)
'''


def _settle(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.background.busy, timeout=20000)


def test_a_wrong_shape_is_said_with_the_dialogs_field_names(qtbot, tmp_path):
    model = tmp_path / "masked.py"
    model.write_text(MODEL)
    dialog = ImportDialog(None, str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.model.setText(str(model))
    dialog.read_classes()
    _settle(qtbot, dialog)
    assert dialog.arguments.text() == "forward(src, has_mask=True): 1 input shape(s)"
    dialog.shapes.setText("5")
    dialog.output.setText(str(tmp_path / "out.json"))
    assert dialog.do_import()
    _settle(qtbot, dialog)
    error = dialog.error.text()
    assert "Masked does not run on inputs of shape [5]" in error and "check Input shapes" in error
    assert "--" not in error and not (tmp_path / "out.json").exists()


def test_every_option_the_importer_names_becomes_a_field():
    said = dialog_words("forward takes 2 input(s) (input, hidden) and 3 were given (tokens, h, c): give one --input"
                        " per argument; check --input (whole shapes); --input 'x' is not NAME:DTYPE:SHAPE, e.g."
                        " --input tokens:int64:35,20; or give whole shapes with --input; --args is not JSON;"
                        " name the class (--class) or a function returning it (--factory); --weights;"
                        " e.g. 1x28x28 (--input-shape, once per input), or each whole shape (--input NAME:DTYPE:SHAPE)")
    assert "--" not in said
    assert "give one NAME:DTYPE:SHAPE per argument" in said and "check Input shapes (whole shapes)" in said
    assert "(Input shapes, once per input)" in said and "(NAME:DTYPE:SHAPE in Input shapes)" in said
    assert "Arguments is not JSON" in said and "with --input" not in said


def test_cancel_while_the_file_runs_says_so_and_closes_when_it_ends(qtbot, tmp_path):
    gate = tmp_path / "go"
    model = tmp_path / "slow.py"
    model.write_text(f"import pathlib, time\nwhile not pathlib.Path({str(gate)!r}).exists():\n    time.sleep(0.01)\n"
                     + MODEL)
    dialog = ImportDialog(None, str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.model.setText(str(model))
    dialog.read_classes()
    assert dialog.background.busy
    dialog.reject()
    assert dialog.isVisible() and "still running" in dialog.error.text()
    gate.write_text("")
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    qtbot.waitUntil(lambda: not dialog.background.busy, timeout=20000)
