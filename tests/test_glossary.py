"""Every setting of the training, the dataset and the diagnosis, every sweep option and every choice among them
has plain words in the glossary (which the tooltips and Help > Glossary show)."""
from dataclasses import fields

import pytest

from netbuilder import glossary
from netbuilder.data.augment import Augment
from netbuilder.data.dataset import DataSpec
from netbuilder.insight.probes import ATTRIBUTIONS
from netbuilder.layers.spec import INIT
from netbuilder.train.callbacks.diagnosis import Thresholds
from netbuilder.train.config import DEVICES, LOSSES, NOISE_SCHEDULES, OPTIMIZERS, SAMPLINGS, SCHEDULES, TrainConfig
from netbuilder.tune.sweep import METRICS, SAMPLERS, SETTINGS, SweepSpec

DATA_OPTIONS = ("n", "noise", "target", "missing", "size", "color", "folder")  # what the Data panel edits
CASES = ([("training", f.name) for f in fields(TrainConfig)] + [("data", f.name) for f in fields(DataSpec)]
         + [("diagnosis", f.name) for f in fields(Thresholds)] + [("sweep", f.name) for f in fields(SweepSpec)]
         + [("sweep", name) for name in (*SAMPLERS, *METRICS)] + [("training", name) for name in SETTINGS]
         + [("choice", name) for name in (*OPTIMIZERS, *LOSSES, *SCHEDULES, *DEVICES, *NOISE_SCHEDULES, *SAMPLINGS)]
         + [("augment", f.name) for f in fields(Augment)] + [("data option", name) for name in DATA_OPTIONS]
         + [("attribution", name) for name in ATTRIBUTIONS]
         + [("evaluation", name) for name in ("class", "precision", "recall", "support")])


@pytest.mark.parametrize("section, name", CASES)
def test_every_setting_and_option_has_plain_words(section, name):
    text = glossary.words(section, name)
    assert len(text) > 20  # a sentence, or a phrase for a choice
    tip = glossary.tooltip(section, name)
    assert tip.startswith("<p><b>") and name.replace("_", " ") in tip  # rich text: Qt wraps it


def test_the_jargon_the_first_users_met_is_explained():
    assert "shortened" in glossary.words("training", "clip_norm")
    assert "0 is off" in glossary.words("training", "early_stopping")
    assert "learning rate grows" in glossary.words("training", "warmup_epochs")
    assert "Parzen" in glossary.words("sweep", "tpe") and "median" in glossary.words("sweep", "prune")
    assert "How many test samples" in glossary.words("evaluation", "support")
    assert "gradient" in glossary.words("attribution", "saliency")
    assert "He (Kaiming)" in INIT.choice_text("kaiming") and all(INIT.choice_text(c) for c in INIT.choices)


def test_the_glossary_lists_every_term_under_its_section():
    listed = glossary.entries()
    assert len(listed) == sum(len(terms) for terms in glossary.SECTIONS.values())
    assert ("Sweeps", "tpe", glossary.SWEEP["tpe"]) in listed
    assert glossary.words("training", "no_such_setting") == "" and glossary.tooltip("nowhere", "x") == ""
