"""A recipe is one file: a recipe defined here, registered, trains through the window's controller and through
`netbuilder train` with checkpoints, resume, the run list, TensorBoard and the diagnosis, and no other module
knows its name. This is the promise new recipes (denoising, next-token, anomaly scoring) rely on."""
import pytest
import torch
from torch.nn import functional as F

from netbuilder import GraphBuilder
from netbuilder.compile import build_model
from netbuilder.train.recipes import Recipe, recipe_names, register, unregister


class Denoise(Recipe):
    """The network learns to give back each sample from a noisy copy of it (a denoising autoencoder)."""
    name = "denoise_test"
    rank = 50
    summary = "a test's recipe: clean samples back from noisy ones"
    target_is_input = True
    losses = ()
    settings = ("noise",)
    shows = frozenset({"samples"})

    def build(self, network):
        self.steps = 0
        return {"model": build_model(self.graph, network)}

    def training_step(self, batch):
        x = batch[0]
        noisy = x + 0.3 * torch.randn(x.shape, generator=self.loop.gen, device=x.device)
        self.steps += 1
        return {"loss": F.mse_loss(self.model(noisy), x)}

    @torch.no_grad()
    def validation(self):
        if self.val_tensors is None:
            return {}
        x = self.val_tensors[0]
        self.model.eval()
        loss = F.mse_loss(self.model(x + 0.3 * torch.randn_like(x)), x).item()
        self.model.train()
        return {"val_loss": loss}

    def pictures(self, epoch):
        x = (self.val_tensors or self.train_tensors)[0][:8]
        with torch.no_grad():
            return f"epoch {epoch}", torch.cat([x, self.model(x)]).reshape(-1, 1, 8, 8).clamp(0, 1), None

    def state_dict(self):
        return {"steps": self.steps}

    def load_state_dict(self, state):
        self.steps = state["steps"]


@pytest.fixture
def own_recipe():
    register(Denoise)
    yield Denoise
    unregister(Denoise.name)


def document(epochs=2):
    b = GraphBuilder()
    x = b.add("Flatten", b.add("Input", shape=[1, 8, 8]))
    x = b.add("Linear", b.add("ReLU", b.add("Linear", x, out_features=32)), out_features=64)
    b.add("Output", b.add("Reshape", x, shape=[1, 8, 8]))
    b.graph.meta["training"] = {"recipe": Denoise.name, "epochs": epochs, "batch_size": 64}
    return b.graph


def test_a_registered_recipe_is_known_and_its_settings_apply(own_recipe):
    from netbuilder.train.applies import applies
    from netbuilder.train.config import TrainConfig
    from netbuilder.train.settings import settings_problems

    assert Denoise.name in recipe_names()
    assert settings_problems(document().meta) == []
    config = TrainConfig(recipe=Denoise.name)
    assert not applies(config, "loss") and not applies(config, "kl_weight")  # it picks its loss; no KL term
    assert applies(TrainConfig(), "l1") and not applies(config, "l1")
    with pytest.raises(ValueError):
        register(type("Other", (Recipe,), {"name": Denoise.name}))


def test_it_trains_through_the_terminal_with_checkpoints_tensorboard_and_a_run(own_recipe, tmp_path, capsys):
    from netbuilder.cli import main
    from netbuilder.runs.run import list_runs

    path = tmp_path / "denoise.json"
    document().save(path)
    assert main(["train", str(path), "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "run 1 in " in out
    folder = next(p for p in (tmp_path).rglob("run.json")).parent
    assert (folder / "last.pt").exists() and (folder / "best.pt").exists()
    assert list(folder.rglob("events.out.tfevents.*")), "TensorBoard's log"
    state = torch.load(folder / "last.pt", weights_only=False)
    assert state["recipe"] == Denoise.name and state["recipe_state"]["steps"] > 0
    runs = list_runs(folder.parent)
    assert runs[0].status == "finished" and runs[0].recipe == Denoise.name and runs[0].best["val_loss"] > 0
    assert main(["runs", str(path)]) == 0 and "finished" in capsys.readouterr().out


def test_it_trains_and_resumes_through_the_windows_controller(own_recipe, qtbot, tmp_path):
    from netbuilder.ui.document import Document
    from netbuilder.ui.main_window import MainWindow

    window = MainWindow(Document(document(epochs=2)))
    window.ask_save_changes = lambda: "discard"
    qtbot.addWidget(window)
    panel = window.training
    assert panel.start()
    qtbot.waitUntil(lambda: panel.result is not None and not panel.running, timeout=60000)
    assert panel.result.status == "finished", panel.result.message
    run = panel.runs.current.run
    assert run.status == "finished" and run.recipe == Denoise.name
    assert (run.folder / "last.pt").exists() and list(run.folder.rglob("events.out.tfevents.*"))
    assert panel.runs.current.history.last("val_loss") is not None
    assert not [w for w in window.document.problems.diagnosis if w.severity == "error"]  # the diagnosis ran, found nothing
    before = torch.load(run.checkpoint, weights_only=False)
    steps = before["recipe_state"]["steps"]
    from netbuilder.graph import SetMeta

    window.document.push(SetMeta(window.document.graph, "training", {**window.document.graph.meta["training"],
                                                                     "epochs": 3}))
    assert panel.start(resume=True)
    qtbot.waitUntil(lambda: panel.result is not None and not panel.running, timeout=60000)
    assert panel.result.status == "finished", panel.result.message
    resumed = torch.load(panel.runs.current.run.checkpoint, weights_only=False)
    assert resumed["epoch"] == before["epoch"] + 1 and resumed["recipe_state"]["steps"] > steps  # one epoch more
