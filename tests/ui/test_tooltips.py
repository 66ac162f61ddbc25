"""Every setting and column the window shows has a tooltip in plain words: the training settings and diagnosis
thresholds, each sweep option, the Data panel's settings, the test results' columns, the ways of explaining an
answer and the inspector's init choices; Help > Glossary and the forms' links list them all."""
from dataclasses import fields

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QLabel

from netbuilder.train.callbacks.diagnosis import Thresholds
from netbuilder.train.config import TrainConfig
from netbuilder.ui.glossary_view import GlossaryDialog
from netbuilder.ui.training.settings_form import SECTIONS
from netbuilder.ui.training.sweep_dialog import SweepDialog

from uihelpers import make_window

TIP = Qt.ItemDataRole.ToolTipRole


def item_tips(box: QComboBox) -> list[str]:
    return [box.itemData(i, TIP) or "" for i in range(box.count())]


def test_every_training_setting_and_threshold_has_a_tooltip_and_off_says_off(qtbot):
    window = make_window(qtbot)
    form = window.training.settings
    shown = {name for key, _, names in SECTIONS for name in names if key == "training"}
    assert shown <= {f.name for f in fields(TrainConfig)}
    assert {name for key, name in form.editors if key == "diagnosis"} == {f.name for f in fields(Thresholds)}
    for (key, name), editor in form.editors.items():
        assert editor.toolTip().startswith("<p><b>"), name
        assert form.labels[(key, name)].toolTip() == editor.toolTip()
        if isinstance(editor, QComboBox):
            assert all(item_tips(editor)), name
    clip, early = form.editors[("training", "clip_norm")], form.editors[("training", "early_stopping")]
    assert "shortened" in clip.toolTip() and "0 is off" in early.toolTip()
    assert early.value() == 0 and early.text() == "off" and clip.text() == "off"
    assert form.editors[("training", "warmup_epochs")].text() == "none"


def test_every_sweep_option_choice_and_thing_to_vary_has_a_tooltip(qtbot):
    window = make_window(qtbot)
    dialog = SweepDialog(window.document.graph, window)
    qtbot.addWidget(dialog)
    for widget in (dialog.sampler, dialog.trials, dialog.metric_box, dialog.prune):
        assert widget.toolTip().startswith("<p><b>")
    assert "Parzen" in item_tips(dialog.sampler)[0] and all(item_tips(dialog.sampler))
    assert all(item_tips(dialog.metric_box)) and "median" in dialog.prune.toolTip()
    vary = dialog.rows[0][0]
    tips = dict(zip((vary.itemText(i) for i in range(vary.count())), item_tips(vary)))
    assert all(tip for target, tip in tips.items() if target != "(nothing)")
    assert "Learning rate" in tips["lr"] and "fc1's out_features" in tips["fc1.out_features"]


def test_the_data_panels_settings_the_test_columns_and_the_explanations_have_tooltips(qtbot):
    window = make_window(qtbot)
    panel = window.data
    editors = [*panel.option_rows.values(), panel.normalize, panel.val, panel.test, panel.seed,
               *panel.augment.values(), panel.source]
    assert all(e.toolTip().startswith("<p><b>") for e in editors)
    assert "drop" in panel.missing.toolTip()
    table = window.training.evaluation.table
    headers = [table.horizontalHeaderItem(c) for c in range(table.columnCount())]
    assert all(h.toolTip() for h in headers) and "How many test samples" in headers[3].toolTip()
    assert all(item_tips(window.training.inside.method))
    assert "gradient" in item_tips(window.training.inside.method)[0]


def test_the_inspectors_init_choices_say_what_each_means(qtbot):
    window = make_window(qtbot)
    window.scene.select_nodes([window.document.graph.by_name("fc1").id])
    init = window.inspector.findChild(QComboBox, "param_init")
    tips = dict(zip((init.itemText(i) for i in range(init.count())), item_tips(init)))
    assert "He (Kaiming)" in tips["kaiming"] and "Glorot" in tips["xavier"] and all(tips.values())


def test_the_glossary_opens_from_help_and_from_the_settings_link_and_finds_terms(qtbot):
    window = make_window(qtbot)
    action = next(a for a in window.menuBar().actions()[-1].menu().actions() if a.objectName() == "glossary")
    action.trigger()
    dialog = window.findChild(GlossaryDialog)
    assert dialog is not None and dialog.isVisible()
    text = dialog.text.toPlainText()
    assert "clip norm" in text and "support" in text and "kaiming" in text and "median" in text
    QTest.keyClicks(dialog.search, "parzen")
    assert "tpe" in dialog.text.toPlainText() and "clip norm" not in dialog.text.toPlainText()
    dialog.close()
    tabs, form = window.training.tabs, window.training.settings
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.widget(i).isAncestorOf(form)))
    window.docks["Training"].show()
    window.docks["Training"].raise_()
    link = form.findChild(QLabel, "glossary_link_training")
    qtbot.waitExposed(link)
    QTest.mouseClick(link, Qt.MouseButton.LeftButton, pos=QPoint(8, link.height() // 2))
    qtbot.waitUntil(lambda: window.findChild(GlossaryDialog) is not None)
    assert window.findChild(GlossaryDialog).search.text() == ""
