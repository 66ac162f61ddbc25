"""`netbuilder net.json` opens the document in the editor, as `netbuilder gui net.json` does."""
import pytest

from netbuilder.cli import main
from netbuilder.ui import app


@pytest.fixture
def opened(monkeypatch):
    seen = []
    monkeypatch.setattr(app, "run", lambda argv: seen.append(argv) or 0)
    return seen


def test_a_document_named_alone_opens_in_the_editor(tmp_path, opened):
    doc = tmp_path / "net.json"
    doc.write_text("{}")
    assert main([str(doc)]) == 0 and main(["gui", str(doc)]) == 0 and main([]) == 0
    assert opened == [[str(doc)], [str(doc)], []]


def test_a_word_that_is_neither_a_command_nor_a_file_is_still_refused(tmp_path, opened, capsys):
    with pytest.raises(SystemExit):
        main(["trian"])
    assert "invalid choice: 'trian'" in capsys.readouterr().err and not opened
