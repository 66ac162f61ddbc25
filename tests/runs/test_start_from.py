"""Transfer learning from a finished run: "Start a new network from this run", "Replace the final layer for N
classes" and "Freeze layers up to here", each a single undoable edit; the weights are really carried (the kept
layers give the run's outputs)."""
from pathlib import Path

import pytest
import torch

from netbuilder.analysis.transfer import freeze_up_to, is_frozen, replace_final_layer
from netbuilder.compile import build_model
from netbuilder.data.dataset import DataSpec
from netbuilder.graph import io
from netbuilder.graph.model import EditError
from netbuilder.layers import check_node
from netbuilder.runs.recorder import RunRecorder
from netbuilder.runs.run import Run
from netbuilder.runs.start_from import renamed_weights, start_from_run
from netbuilder.train import TrainConfig, make_trainer
from netbuilder.train.transfer import TransferError, read_weights

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A CNN trained for one epoch on the digits 0 to 4, as the window's runs are (a run folder, a recorder)."""
    graph = io.load(TEMPLATES / "cnn_digits.json", check_node)
    graph.meta["data"] = DataSpec(classes=[0, 1, 2, 3, 4]).to_dict()
    graph.node(graph.by_name("fc2").id).params["out_features"] = 5
    graph.meta["training"] = {**graph.meta["training"], "epochs": 1}
    run = Run.create(tmp_path_factory.mktemp("runs"), graph)
    trainer, _ = make_trainer(graph, TrainConfig.from_dict(graph.meta["training"]), [RunRecorder(run)], run.folder)
    assert trainer.run().status == "finished"
    return Run.load(run.folder)


def outputs_up_to(model, x, layer):
    """What the model's layers give up to and with `layer` (the compiled module's children run in order)."""
    for name, module in model.named_children():
        x = module(x)
        if name == layer:
            return x
    raise KeyError(layer)


def test_a_new_network_from_a_run_carries_its_weights_and_its_new_head_is_fresh(finished):
    graph = start_from_run(finished)
    assert graph.meta["training"]["init_from"] == str(finished.folder / "best.pt")
    graph.meta["data"] = DataSpec(classes=[5, 6, 7, 8, 9], labels_per_class=20).to_dict()
    edit = replace_final_layer(graph, graph.by_name("conv1").id, 5)  # any layer of the network will do
    graph.apply(edit)
    assert graph.by_name("fc2") is None and graph.by_name("fc2_new").params["out_features"] == 5
    graph.apply(freeze_up_to(graph, graph.by_name("pool2").id))
    assert [n.name for n in graph.nodes() if is_frozen(n)] == ["conv1", "conv2"]
    trainer, data = make_trainer(graph, TrainConfig.from_dict(graph.meta["training"]))
    assert trainer.transferred == ["conv1", "conv2", "fc1"]  # fc2_new is not in the run: it starts fresh
    before = build_model(finished.graph(), "logits")
    before.load_state_dict(read_weights(finished.folder / "best.pt"))
    x = data.train[0][:16]
    for layer in ("conv1", "pool2", "relu3"):
        assert torch.equal(outputs_up_to(trainer.model, x, layer), outputs_up_to(before, x, layer))
    kept = trainer.model.conv1.weight.clone()
    trainer.run()
    assert torch.equal(trainer.model.conv1.weight, kept)  # frozen: it did not move


def test_the_edits_are_single_undoable_steps():
    graph = io.load(TEMPLATES / "cnn_digits.json", check_node)
    original = graph.copy()
    for edit in (replace_final_layer(graph, graph.by_name("fc2").id, 3), None):
        if edit is None:
            edit = freeze_up_to(graph, graph.by_name("fc1").id)
        graph.apply(edit)
        assert graph != original
        edit.revert(graph)
        assert graph == original
    graph.apply(freeze_up_to(graph, graph.by_name("conv2").id))
    with pytest.raises(EditError, match="no layer with weights up to conv2 is left to make frozen"):
        freeze_up_to(graph, graph.by_name("conv2").id)
    unfreeze = freeze_up_to(graph, graph.by_name("logits").id, frozen=False)
    assert unfreeze.text == "Unfreeze 2 layers up to logits"
    with pytest.raises(EditError, match="no layer up to image has weights"):
        freeze_up_to(graph, graph.by_name("image").id)
    with pytest.raises(EditError, match="at least 1"):
        replace_final_layer(graph, graph.by_name("fc2").id, 0)


def test_renamed_weights_fill_copies_of_the_layers_and_name_what_the_run_lacks(finished):
    path = renamed_weights(finished, {"frozen_conv1": "conv1", "tuned_conv1": "conv1"}, "lesson")
    saved, own = read_weights(path), read_weights(finished.folder / "best.pt")
    assert sorted(saved) == ["frozen_conv1.bias", "frozen_conv1.weight", "tuned_conv1.bias", "tuned_conv1.weight"]
    assert torch.equal(saved["tuned_conv1.weight"], own["conv1.weight"])
    with pytest.raises(TransferError, match="has no layer conv9 \\(it has conv1, conv2, fc1, fc2\\)"):
        renamed_weights(finished, {"x": "conv9"}, "lesson")


def test_a_run_without_weights_is_said(tmp_path):
    graph = io.load(TEMPLATES / "cnn_digits.json", check_node)
    run = Run.create(tmp_path, graph, name="cut short")
    with pytest.raises(TransferError, match="the run 'cut short' has no weights to start from"):
        start_from_run(run)


def test_a_weights_file_whose_layer_names_match_is_a_starting_point_and_a_refusal_names_the_layers(tmp_path):
    from netbuilder.runs.start_from import fit_words, weights_fit

    graph = io.load(TEMPLATES / "cnn_digits.json", check_node)
    state = build_model(graph, "logits").state_dict()
    state["fc2.weight"] = torch.zeros(3, 64)  # another head
    state["extra.weight"] = torch.zeros(2)
    path = tmp_path / "pretrained.pt"
    torch.save(state, path)  # a bare state dict, as torch.save(model.state_dict()) writes
    found = weights_fit(graph, path)
    assert found == (["conv1", "conv2", "fc1"], ["fc2 (weight is [3, 64] in the checkpoint, [10, 64] here)"],
                     ["extra"])
    assert fit_words(path, *found) == ("conv1, conv2, fc1 start from pretrained.pt. Not matching: fc2 (weight is"
                                       " [3, 64] in the checkpoint, [10, 64] here). Not here: extra (no layer of"
                                       " that name).")
    torch.save({"features.0.weight": torch.zeros(16, 1, 3, 3), "classifier.weight": torch.zeros(10, 64)}, path)
    with pytest.raises(TransferError, match="no layer here matches the checkpoint 'pretrained.pt' by name and shape"
                       " \\(it holds classifier, features; this network's layers with weights are conv1, conv2,"
                       " fc1, fc2\\)"):
        weights_fit(graph, path)
