"""An imported network's document names a dataset that fits its Input and Output (MNIST for a 1x28x28 network of
10 outputs), else none: it opens without a data error; a document without a dataset says so when asked to train."""
from pathlib import Path

import pytest

from netbuilder import GraphBuilder
from netbuilder.compile.importer.model import import_model
from netbuilder.data.dataset import NO_DATASET, DataSpec, prepare
from netbuilder.data.raw import DataError
from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.runs.imported import fitting_dataset, save_imported
from netbuilder.train.recipes import called_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

LENET = '''from torch import nn


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 5)
        self.fc = nn.Linear(4 * 24 * 24, classes)

    def forward(self, x):
        return self.fc(self.conv(x).relu().flatten(1))
'''


def network(shape, outputs, flatten=True):
    b = GraphBuilder()
    x = b.add("Input", shape=shape)
    b.add("Output", b.add("Linear", b.add("Flatten", x) if flatten else x, out_features=outputs))
    return b.graph


@pytest.mark.parametrize("shape, outputs, dataset", [
    ([1, 28, 28], 10, "mnist"), ([784], 10, "mnist"), ([1, 8, 8], 10, "digits"), ([64], 10, "digits"),
    ([3, 32, 32], 10, "cifar10"), ([2], 2, "moons"), ([2], 3, "blobs"), ([2], 8, "ring"), ([1], 1, "regression_1d"),
    ([1, 28, 28], 7, "none"), ([3, 224, 224], 1000, "none"), ([5], 2, "none"),
])
def test_the_dataset_that_fits_the_input_and_output_or_none(shape, outputs, dataset):
    assert fitting_dataset(network(shape, outputs)) == dataset


def test_an_imported_1x28x28_network_trains_on_mnist_and_an_odd_one_on_nothing(tmp_path):
    model = tmp_path / "net.py"
    model.write_text(LENET)
    for classes, source in ((10, "mnist"), (7, "none")):
        out = tmp_path / f"net{classes}.json"
        save_imported(import_model(model, "Net", {"classes": classes}, [[1, 28, 28]]), out, None)
        assert io.load(out, check_node).meta["data"]["source"] == source


def test_an_imported_network_gets_the_recipe_its_layers_call_for(tmp_path):
    """A language model (integer tokens in, a score per token at every position out): next_token; a VAE's
    Reparameterize layer: variational (tests/compile/test_vae_import.py); a classifier or a tagger: the default."""
    lm = import_model(FIXTURES / "char_lm.py", "CharRNN", {"vocab": 30, "hidden": 16}, [[12]])
    save_imported(lm, tmp_path / "lm.json", None)
    assert io.load(tmp_path / "lm.json", check_node).meta["training"] == {"recipe": "next_token"}
    model = tmp_path / "net.py"
    model.write_text(LENET)
    save_imported(import_model(model, "Net", {}, [[1, 28, 28]]), tmp_path / "net.json", None)
    assert "training" not in io.load(tmp_path / "net.json", check_node).meta
    b = GraphBuilder()
    tokens = b.add("Input", shape=[12], dtype="int", vocab_size=30)
    b.add("Output", b.add("Linear", b.add("Embedding", tokens, num_embeddings=30, embedding_dim=8), out_features=5))
    assert called_for(b.graph) == {}  # a tag per token, not the next one


def test_a_document_without_a_dataset_is_valid_and_says_so_when_its_data_is_asked_for():
    spec = DataSpec(source="none")
    assert spec.problems() == [] and not spec.is_path and spec.label == "none"
    with pytest.raises(DataError) as error:
        prepare(spec)
    assert str(error.value) == NO_DATASET
