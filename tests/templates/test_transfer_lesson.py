"""The transfer-learning lesson, both steps through the app's path: the CNN learns the digits 0 to 4 as a run,
the run list's "Start the Lesson's Next Step" makes the three networks on the digits 5 to 9 (20 labels each),
and they train side by side.

The issue's bar (the transferred networks beat the one from scratch by at least 10 points of validation
accuracy) is not reached on the 8x8 digits, the only image set here without a download: with 100 labels the
network from scratch reaches about 95% (see the README's template table for the measured margins). The bar is
kept below as a strict expected failure, so the day it is reached the test says so."""
import importlib.util
from pathlib import Path

import pytest

from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.runs.recorder import RunRecorder
from netbuilder.runs.run import Run
from netbuilder.runs.start_from import lesson_next_step
from netbuilder.train import TrainConfig, make_trainer
from netbuilder.train.loop import parts

ROOT = Path(__file__).resolve().parents[2]


def test_the_template_file_is_what_the_script_writes():
    spec = importlib.util.spec_from_file_location("make_transfer_lesson", ROOT / "scripts" / "make_transfer_lesson.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert io.load(ROOT / "templates" / "transfer_lesson.json", check_node) == module.lesson(), \
        "templates/transfer_lesson.json is stale: run .venv/bin/python scripts/make_transfer_lesson.py"


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """Step 1 as a run, then step 2 made from it by the run list's action, trained: (step 1, step 2 results)."""
    graph = io.load(ROOT / "templates" / "transfer_lesson.json", check_node)
    run = Run.create(tmp_path_factory.mktemp("runs"), graph)
    first, _ = make_trainer(graph, TrainConfig.from_dict(graph.meta["training"]), [RunRecorder(run)], run.folder)
    step_one = first.run()
    step_two_graph = lesson_next_step(Run.load(run.folder))
    second, data = make_trainer(step_two_graph, TrainConfig.from_dict(step_two_graph.meta["training"]))
    assert second.transferred == ["frozen_conv1", "frozen_conv2", "tuned_conv1", "tuned_conv2"]
    assert data.prepared.counts()["train"] == 100  # 20 labels of each of the 5 digits
    return step_one, second.run()


def test_step_one_learns_the_digits_0_to_4(lesson):
    step_one, _ = lesson
    assert step_one.status == "finished" and step_one.epochs[-1].val_acc >= 0.95


def test_step_two_trains_the_three_networks_side_by_side(lesson):
    _, step_two = lesson
    assert step_two.status == "finished"
    accuracy = parts(step_two.epochs[-1].metrics, "val_accuracy")
    assert set(accuracy) == {"transferred_frozen", "fine_tuned", "from_scratch"}
    assert min(accuracy.values()) > 0.8  # 20 labels of each digit are enough for every one of them here


@pytest.mark.xfail(strict=True, reason="on the 8x8 digits the network from scratch reaches about 95% with 20"
                   " labels per class: no room for a 10-point lead (MNIST would have it, but needs a download)")
def test_the_transferred_networks_beat_the_one_from_scratch_by_10_points(lesson):
    _, step_two = lesson
    accuracy = parts(step_two.epochs[-1].metrics, "val_accuracy")
    assert min(accuracy["transferred_frozen"], accuracy["fine_tuned"]) >= accuracy["from_scratch"] + 0.10
