"""The coach reads the curves: a wide MLP on 100 samples overfits, a regularised one does not; a loss that
climbs means a learning rate too high; remedies apply as one undoable edit each."""
from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import TrainConfig, Trainer
from netbuilder.insight.coach import apply, read


def wide(dropout=False):
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), name="hidden",
                           out_features=512))
    if dropout:
        h = b.add("Dropout", h, p=0.5)
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    return b.graph


def curves(graph, settings, n=100, epochs=60):
    (x, y), val = digits(seed=0)
    result = Trainer(graph, TrainConfig(**settings, epochs=epochs, device="cpu"), (x[:n], y[:n]), val).run()
    return [e.metrics for e in result.epochs]


def test_an_overfitting_run_is_called_so_and_a_regularised_one_is_not():
    graph = wide()
    settings = {"lr": 3e-3, "batch_size": 16}
    verdicts = read(curves(graph, settings), graph, settings)
    assert [v.kind for v in verdicts] == ["overfitting"]
    labels = [r.label for r in verdicts[0].remedies]
    assert "add a Dropout (p 0.3) after 'hidden'" in labels and "add weight decay (1e-3)" in labels
    calm = {"lr": 1e-3, "batch_size": 64, "weight_decay": 1e-2}
    assert not [v for v in read(curves(wide(dropout=True), calm, n=1200, epochs=8), wide(dropout=True), calm)
                if v.kind == "overfitting"]


def test_a_climbing_loss_means_a_learning_rate_too_high():
    epochs = [{"loss": v} for v in (2.3, 0.9, 0.7, 1.6, 3.0)]
    verdicts = read(epochs, wide(), {"lr": 0.5})
    assert verdicts[0].kind == "lr_high" and "lower the learning rate to 0.05" in verdicts[0].remedies[0].label


def test_a_flat_loss_from_the_start_means_a_learning_rate_too_low():
    verdicts = read([{"loss": v} for v in (2.303, 2.302, 2.301, 2.300)], wide(), {"lr": 1e-6})
    assert verdicts[0].kind == "lr_low" and verdicts[0].remedies[0].value == 1e-5


def test_remedies_are_one_undoable_edit_each():
    graph = wide()
    verdicts = read([{"loss": 2.0, "val_loss": 1.0}, {"loss": 1.0, "val_loss": 0.8}, {"loss": 0.5, "val_loss": 0.9},
                     {"loss": 0.2, "val_loss": 1.2}], graph, {"lr": 1e-3})
    dropout = next(r for r in verdicts[0].remedies if r.kind == "dropout")
    before = len(graph)
    edit = apply(graph, dropout)
    graph.apply(edit)
    added = next(n for n in graph.nodes() if n.type == "Dropout")
    assert len(graph) == before + 1 and added.params["p"] == 0.3
    assert graph.node(graph.predecessors(added.id)[0]).name == "hidden"
    edit.revert(graph)
    assert len(graph) == before
