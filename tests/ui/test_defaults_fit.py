"""Defaults that fit: a new Input takes its dataset's shape, the Settings form shows only settings that
apply to the chosen optimizer, recipe and schedule, and a large template opens at a readable zoom."""
from PySide6.QtCore import QRectF

from netbuilder.data.sample import Sample, new_layer_params, sample_of
from netbuilder.data.dataset import DataSpec
from netbuilder.graph import SetMeta
from netbuilder.train.applies import applies
from netbuilder.train.config import TrainConfig
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document
from netbuilder.ui.readable import READABLE_ZOOM, show_readable
from netbuilder.ui.training.settings_form import SettingsForm

from uihelpers import make_window


def test_a_new_input_takes_the_shape_of_its_documents_data():
    assert new_layer_params({}, "Input") == {"shape": [1, 8, 8]}  # a new document trains on the digits
    assert new_layer_params({"data": {"source": "digits_rows"}}, "Input") == {"shape": [8, 8]}
    assert new_layer_params({"data": {"source": "sine_forecast", "options": {"steps": 12}}}, "Input") == \
        {"shape": [12, 1]}
    assert new_layer_params({"data": {"source": "moons"}}, "Input") == {"shape": [2]}
    assert new_layer_params({"data": {"source": "cifar10"}}, "Input") == {"shape": [3, 32, 32]}  # without the files
    assert new_layer_params({}, "Linear") == {}
    # what cannot be known cheaply keeps the catalog's default
    assert new_layer_params({"data": {"source": "/somewhere/table.csv"}}, "Input") == {}
    assert new_layer_params({"data": {"source": "moons", "options": {"bogus": 1}}}, "Input") == {}
    assert new_layer_params({"data": "not a mapping"}, "Input") == {"shape": [1, 8, 8]}
    assert sample_of(DataSpec("digits")) == Sample((1, 8, 8), 10, "classification")
    assert sample_of(DataSpec("sine_forecast")).task == "regression"


def test_every_template_input_fits_its_data():
    from netbuilder.ui.gallery import templates

    for path, meta in templates():
        sample = sample_of(DataSpec.from_dict(meta.get("data")))
        graph = Document.from_template(path).graph
        inputs = [n for n in graph.nodes() if n.type == "Input"]
        if meta.get("training", {}).get("recipe") in ("adversarial", "denoising"):
            inputs = [n for n in inputs if n.params["shape"] == list(sample.shape)]  # the discriminator's, the sample's
        assert inputs and all(n.params["shape"] == list(sample.shape) for n in inputs), path.name


def test_settings_apply_to_their_optimizer_recipe_and_schedule():
    assert not applies(TrainConfig(optimizer="adam"), "momentum")
    assert applies(TrainConfig(optimizer="sgd"), "momentum") and applies(TrainConfig(optimizer="rmsprop"), "momentum")
    assert applies(TrainConfig(optimizer="sgd"), "nesterov") and not applies(TrainConfig(optimizer="rmsprop"), "nesterov")
    assert not applies(TrainConfig(), "kl_weight") and applies(TrainConfig(recipe="variational"), "kl_weight")
    assert not applies(TrainConfig(recipe="adversarial"), "loss") and applies(TrainConfig(recipe="compare"), "loss")
    assert not applies(TrainConfig(recipe="adversarial"), "early_stopping")
    assert not applies(TrainConfig(recipe="compare"), "early_stopping") and applies(TrainConfig(), "early_stopping")
    assert applies(TrainConfig(schedule="exponential"), "gamma") and not applies(TrainConfig(), "step_size")
    assert applies(TrainConfig(), "lr") and applies(TrainConfig(recipe="bogus"), "early_stopping")
    odd = TrainConfig(optimizer=5, recipe=[1], schedule=None)  # a hand-edited file: the Problems panel names these
    assert not applies(odd, "momentum") and not applies(odd, "kl_weight") and applies(odd, "early_stopping")


def test_the_settings_form_hides_what_does_not_apply_and_follows_undo(qtbot):
    document = Document.from_template(TEMPLATES / "mlp_digits.json")
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_document(document)
    assert TrainConfig.from_dict(document.graph.meta.get("training")).optimizer == "adam"
    assert not form.shown("momentum") and not form.shown("kl_weight")  # Adam, supervised
    assert form.shown("lr") and form.shown("loss") and form.shown("early_stopping")
    form.editors[("training", "optimizer")].setCurrentText("sgd")  # as a pick in the combo box
    assert form.shown("momentum")
    document.undo_stack.undo()
    assert not form.shown("momentum")
    form.editors[("training", "recipe")].setCurrentText("variational")
    assert form.shown("kl_weight")
    document.push(SetMeta(document.graph, "training", {"recipe": "adversarial"}))
    assert not form.shown("loss") and not form.shown("early_stopping") and not form.shown("kl_weight")


def test_the_settings_form_spins_a_setting_no_further_than_the_check_allows(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_document(Document.from_template(TEMPLATES / "mlp_digits.json"))
    highest = {name: form.editors[("training", name)].maximum() for name in ("weight_decay", "kl_weight", "momentum")}
    assert highest == {"weight_decay": 1e5, "kl_weight": 1e5, "momentum": 1.0}
    assert form.editors[("training", "clip_norm")].maximum() == 1e6


def opened(qtbot, name):
    window = make_window(qtbot, Document.from_template(TEMPLATES / name))
    for name in ("Problems", "History", "Training", "Data"):  # offscreen, they take most of the window's height
        window.docks[name].hide()
    qtbot.waitUntil(lambda: window.view.viewport().height() > 400)
    return window


def test_a_large_template_opens_readable_at_its_start_and_a_small_one_whole(qtbot):
    window = opened(qtbot, "vanishing_lesson.json")
    window.view.fit()
    assert window.view.zoom < READABLE_ZOOM  # fitting the 58 layers makes them unreadable
    show_readable(window.view)
    assert window.view.zoom == READABLE_ZOOM
    port = window.view.viewport().rect()
    shown = window.view.mapToScene(port).boundingRect()
    items = window.scene.itemsBoundingRect()
    assert shown.contains(items.topLeft())  # the start is in view
    first = window.scene.node_items[window.document.graph.by_name("digit_a").id]
    assert shown.contains(first.sceneBoundingRect())
    small = opened(qtbot, "mlp_digits.json")
    show_readable(small.view)
    whole = small.view.mapToScene(small.view.viewport().rect()).boundingRect()
    assert small.view.zoom >= READABLE_ZOOM and whole.contains(QRectF(small.scene.itemsBoundingRect()))


def test_every_template_tells_its_story_and_what_to_try():
    from netbuilder.ui.gallery import templates

    for path, meta in templates():
        text = meta.get("description", "")
        assert len(text) > 100 and any(w in text.lower() for w in ("try", "switch", "swap")), path.name  # in the About pane
