"""Text in the Data panel: python_docs and a .txt file of prose preview as text windows with their options
(seq_len, stride, unknown, max_vocab); a bad text file is said in the panel."""
from uihelpers import make_window


def test_python_docs_previews_as_text_with_its_options(qtbot):
    window = make_window(qtbot)
    panel = window.data
    window.show_data()
    panel.source.setCurrentText("python_docs")
    assert panel.preview.samples.currentWidget() is panel.preview.text
    assert panel.preview.text.toPlainText().startswith('The "assert" statement\u23ce')
    assert panel.counts.text().startswith("text, 64 per sample, 103 classes")  # the training part's (70%)
    assert "465,048 characters, 103 in the vocabulary" in panel.notes.text()
    assert panel.options.isRowVisible(panel.seq_len) and not panel.options.isRowVisible(panel.missing)
    panel.seq_len.setValue(32)
    assert panel.spec().options == {"seq_len": 32} and panel.counts.text().startswith("text, 32 per sample")


def test_a_txt_file_of_prose_is_text_and_a_bad_one_is_said(qtbot, tmp_path):
    window = make_window(qtbot)
    panel = window.data
    window.show_data()
    prose = tmp_path / "story.txt"
    prose.write_text("Once upon a time there was a network that learned to write.\n" * 30, encoding="utf-8")
    panel.open_path(str(prose))
    assert panel.spec().options == {"seq_len": 64} and panel.preview.samples.currentWidget() is panel.preview.text
    assert panel.use_button.isEnabled()
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\u00e9 ".encode("latin-1") * 50)
    panel.open_path(str(latin))
    assert "latin.txt is not UTF-8 text" in panel.notes.text() and "save it as UTF-8" in panel.notes.text()
    assert not panel.use_button.isEnabled()
