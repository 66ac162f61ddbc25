"""The vanishing-gradient lesson: side by side, the diagnosis fires on the sigmoid network and
not on the residual one, which learns."""
from pathlib import Path

from netbuilder.analysis import Analysis
from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, make_trainer
from netbuilder.train.callbacks.diagnosis import Diagnosis
from netbuilder.train.loop import parts

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_lesson_warns_on_the_sigmoid_network_only():
    graph = io.load(TEMPLATES / "vanishing_lesson.json", check_node)
    assert not [p for p in Analysis(graph).problems() if p.severity == "error"]
    config = TrainConfig.from_dict(graph.meta["training"])
    diagnosis = Diagnosis(graph)
    trainer, _ = make_trainer(graph, config, [diagnosis])
    assert list(trainer.monitor.networks) == ["sigmoid_net", "residual_net"]
    result = trainer.run()
    assert result.status == "finished"
    names = {n.id: n.name for n in graph.nodes()}
    vanishing = {names[p.node] for p in diagnosis.latest if "vanishing" in p.message}
    assert {"s_in", "s_fc1"} <= vanishing
    assert not [name for name in vanishing if name.startswith("r_")]
    accuracy = parts(result.epochs[-1].metrics, "val_accuracy")
    assert accuracy["residual_net"] > 0.9 and accuracy["sigmoid_net"] < accuracy["residual_net"] - 0.3
