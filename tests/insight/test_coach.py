"""The coach reads the curves: a wide MLP on 100 samples overfits, a regularised one does not; a loss that
climbs means a learning rate too high; remedies apply as one undoable edit each."""
from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import TrainConfig, Trainer
from netbuilder.insight.coach import apply, assess, read


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


def rows(**columns):
    """Epoch rows from columns of equal length: rows(loss=[...], val_loss=[...])."""
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def test_noise_at_a_loss_near_zero_is_not_a_climb():
    loss = [0.4, 0.05, 0.004, 0.0009, 0.000408, 0.000951]  # the ResNet's last epochs: noise, not overshooting
    reading = assess(rows(loss=loss, val_accuracy=[0.9, 0.97, 0.99, 0.99, 0.996, 0.996]), wide(), {"lr": 3e-3},
                     baseline={"loss": 2.3, "accuracy": 0.1})
    assert reading.verdicts == [] and reading.note.startswith("nothing to flag")
    real = assess(rows(loss=[2.0, 0.6, 0.3, 0.9, 1.4]), wide(), {"lr": 3e-3}, baseline={"loss": 2.3})
    assert [v.kind for v in real.verdicts] == ["lr_high"]  # a climb as large as the loss's scale is one


def test_losses_that_need_not_fall_are_not_read_as_a_learning_rate_too_low():
    flat = rows(loss=[0.72, 0.71, 0.72, 0.7, 0.71], d_accuracy=[0.6, 0.62, 0.58, 0.6, 0.61])
    reading = assess(flat, wide(), {"recipe": "adversarial", "lr": 2e-3})
    assert reading.verdicts == [] and "Samples tab" in reading.note
    winning = rows(loss=[2.0, 3.5, 4.8, 5.5, 6.0], d_accuracy=[0.9, 0.97, 0.99, 1.0, 1.0])
    verdicts = read(winning, wide(), {"recipe": "adversarial", "lr": 2e-3})
    assert [v.kind for v in verdicts] == ["limit"] and "discriminator" in verdicts[0].message
    assert verdicts[0].remedies[0].label == "lower the learning rate to 0.001"


def test_a_flat_loss_under_the_templates_bar_is_not_underfitting():
    graph = wide()
    graph.meta["quality"] = {"metric": "val_loss", "at_most": 0.06}
    loss = [0.09, 0.07, 0.065, 0.062, 0.06, 0.059, 0.0585, 0.058, 0.0578, 0.0577, 0.0576]
    epochs = rows(loss=loss, val_loss=[v + 0.001 for v in loss])
    reading = assess(epochs, graph, {"recipe": "variational", "loss": "mse"}, baseline={"loss": 0.073})
    assert reading.verdicts == [] and "meets the template's bar" in reading.note
    graph.meta["quality"]["at_most"] = 0.03  # the same curves short of a stricter bar: underfitting
    assert [v.kind for v in read(epochs, graph, {"recipe": "variational", "loss": "mse"}, baseline={"loss": 0.073})] \
        == ["underfitting"]


def lesson():
    b = GraphBuilder()
    x = b.add("Flatten", b.add("Input", shape=[1, 8, 8]))
    for i in range(3):
        x = b.add("Sigmoid", b.add("Linear", x, out_features=16))
    b.add("Output", b.add("Linear", x, out_features=10), name="sigmoid_net")
    y = b.add("ReLU", b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=16))
    b.add("Output", b.add("Linear", y, out_features=10), name="relu_net")
    return b.graph


def test_a_network_stuck_at_guessing_beside_one_that_learns_is_named_with_its_remedy():
    graph = lesson()
    epochs = rows(**{"loss/sigmoid_net": [2.33, 2.32, 2.33, 2.32], "loss/relu_net": [1.6, 0.3, 0.2, 0.15],
                     "val_accuracy/sigmoid_net": [0.1, 0.1, 0.1, 0.1], "val_accuracy/relu_net": [0.8, 0.93, 0.95, 0.96]})
    verdicts = read(epochs, graph, {"recipe": "compare", "lr": 0.05}, baseline={"loss": 2.302, "accuracy": 0.1025})
    assert [v.kind for v in verdicts] == ["stuck"]
    assert verdicts[0].message.startswith("'sigmoid_net': ") and "'relu_net' learns" in verdicts[0].message
    remedy = verdicts[0].remedies[0]
    edit = apply(graph, remedy)
    graph.apply(edit)
    assert [n.type for n in graph.nodes()].count("Sigmoid") == 0 and [n.type for n in graph.nodes()].count("ReLU") == 4
    edit.revert(graph)
    assert [n.type for n in graph.nodes()].count("Sigmoid") == 3


def test_a_run_says_nothing_to_flag_yet_until_it_has_epochs_enough():
    reading = assess(rows(loss=[2.3, 5.0]), wide(), {"lr": 1.0})
    assert reading.verdicts == [] and reading.text.startswith("nothing to flag yet")


def test_a_run_records_what_guessing_scores_on_its_data(tmp_path):
    import math

    from netbuilder.runs.recorder import RunRecorder
    from netbuilder.runs.run import Run

    graph = wide()
    (x, y), val = digits(seed=0)
    run = Run.create(tmp_path, graph)
    Trainer(graph, TrainConfig(epochs=1, device="cpu"), (x[::4], y[::4]), val, callbacks=[RunRecorder(run)]).run()
    baseline = Run.load(run.folder).baseline
    assert 0.08 < baseline["accuracy"] < 0.2 and abs(baseline["loss"] - math.log(10)) < 0.05


def test_a_vae_short_of_guessing_by_half_is_offered_a_larger_code_first():
    """An imported VAE with a code of 2 numbers: its loss stays high because the code is small, not the layers."""
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[64]), name="fc1", out_features=64))
    h = b.add("Reparameterize", h, name="z", latent=2)
    b.add("Output", b.add("Sigmoid", b.add("Linear", b.add("ReLU", b.add("Linear", h, out_features=64)),
                                           out_features=64)))
    loss = [0.09, 0.07, 0.065, 0.062, 0.06, 0.0595, 0.0593, 0.0592, 0.0592, 0.0591, 0.0591]
    (verdict,) = read(rows(loss=loss, val_loss=loss), b.graph, {"recipe": "variational", "loss": "mse", "epochs": 30},
                      baseline={"loss": 0.073})
    assert verdict.kind == "underfitting" and "a code of 2 numbers ('z'), too few to rebuild" in verdict.message
    assert verdict.remedies[0].label == "give 'z' a larger code (8 numbers)"
    graph = b.graph
    apply(graph, verdict.remedies[0]).apply(graph)
    assert graph.by_name("z").params["latent"] == 8
