"""An imported model's parts that came in as code say so on the canvas: the Code layer's note is its key line and
its tooltip, and the imported code runs there without asking (it is the user's own)."""
from pathlib import Path

from netbuilder.compile.importer.model import import_model
from netbuilder.graph import io, trust
from netbuilder.ui.document import Document

MODELS = Path(__file__).resolve().parents[2] / "compile" / "capture_models.py"


def test_a_layer_that_came_in_as_code_says_why_on_the_canvas(window, qtbot, tmp_path):
    result = import_model(MODELS, "Noisy", input_shapes=[[12]])
    path = tmp_path / "noisy.json"
    io.save(result.graph, path)
    trust.forget_session()  # reopened later: the imported code is remembered as trusted
    window.set_document(Document.open(str(path), window))
    item = window.scene.node_items[window.document.graph.by_name("eps").id]
    note = window.document.graph.by_name("eps").params["note"]
    assert note.startswith("imported as code: line ") and "torch.randn_like" in note
    assert item.key_text() == note
    assert note in item.toolTip()
    assert item.output_text() == "[N, 4]"  # it ran: its shape is known, no trust asked
    assert [p for p in window.document.analysis.problems() if p.severity == "error"] == []
