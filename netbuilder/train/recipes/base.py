"""What a recipe is: the networks it trains, its data, its optimizers, one training step, one validation
pass and what it shows. The loop (loop.py) does everything else the same way for every recipe, as
Lightning's Trainer does for a LightningModule.

A step returns its metrics as a mapping of 0-d tensors, left on the device: "loss" always, and what the
recipe adds ("kl", or per network "loss/<network>"). With `automatic` the loop optimizes "loss"; a
recipe with several optimizers (a GAN) calls `self.loop.optimize(loss, network)` itself, as Lightning's
manual optimisation does. Validation returns plain numbers: "val_loss", "val_accuracy", ...

A recipe also declares everything the rest of the program would otherwise have to know about it (the class
attributes and class methods below): the window, the terminal, sweeps, runs, the settings form and the script
exporter ask the recipe, and no module outside recipes/ names one.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ...data.dataset import DataSpec, prepare
from ...data.raw import DataError
from ...graph.model import Graph
from ...graph.problems import Problem
from .. import budget
from ..config import TrainConfig
from ..inputs import TrainingData, fit_supervised, input_problems
from ..errors import TrainingError
from ..optim import make_optimizer

GUESS_ROWS = 10_000  # training samples a guess's score is taken on (a mean or a spread is steady by then)


@dataclass(frozen=True)
class Limit:
    """An epoch metric past which a run goes wrong, what that means in words, and the learning rate's
    factor that helps (0: none helps)."""
    metric: str
    at_most: float
    means: str
    lr_factor: float = 0.0


def guessing(target: torch.Tensor, loss: str) -> dict:
    """What a network that learned nothing scores on these targets: always the most common class, with the
    classes' shares as its scores (cross_entropy, nll: the loss is their entropy), always each value's
    share of ones (bce_with_logits), its mean (mse) or its median (l1). {} for another loss."""
    rows = target[:GUESS_ROWS].detach().cpu()
    if loss in ("cross_entropy", "nll"):
        if target.is_floating_point() or bool((target < 0).any()):
            return {}  # not class indices: this recipe's target is something else
        counts = torch.bincount(target.detach().cpu().long().flatten()).double()
        shares = counts[counts > 0] / counts.sum()
        return {"loss": float(-(shares * shares.log()).sum()), "accuracy": float(shares.max())}
    values = rows.double().reshape(len(rows), -1)
    if not len(values):
        return {}
    if loss == "bce_with_logits":
        p = values.mean(dim=0).clamp(1e-6, 1 - 1e-6)
        found = {"loss": float(-(values * p.log() + (1 - values) * (1 - p).log()).mean())}
        if values.shape[1] == 1 and bool(((values == 0) | (values == 1)).all()):
            found["accuracy"] = float(max(p.item(), 1 - p.item()))
        return found
    if loss == "mse":
        return {"loss": float(values.var(dim=0, unbiased=False).mean())}
    if loss == "l1":
        return {"loss": float((values - values.median(dim=0).values).abs().mean())}
    return {}


class Recipe:
    name = ""  # what TrainConfig.recipe says to choose it
    rank = 100  # where it is listed in Settings (lower first)
    monitor: str | None = "val_loss"  # the metric best.pt and early stopping watch (lower is better)
    automatic = True  # the loop optimizes the step's "loss"; False: the step calls loop.optimize itself
    drop_last = False  # only full batches
    mixed_precision = True  # autocast and gradient scaling on CUDA when the settings ask for them
    # ---- what the rest of the program asks of a recipe ----
    summary = ""  # one line for the Settings form: what it trains and how
    target_is_input = False  # the samples are their own targets: labels and the data's task do not matter
    losses: tuple[str, ...] | None = None  # the losses it takes (None: any that suits the data; (): its own)
    settings: tuple[str, ...] = ()  # the settings of its own that apply to it (kl_weight, l1, ...)
    shows: frozenset[str] = frozenset({"test"})  # its runs' views: "test", "samples", "boundary", "inside", "text"
    keeps_inputs = True  # samples.pt keeps test inputs to look inside with (a network of one Input)
    shares_data = True  # a sweep's trials can share the dataset as read once (prepare)
    script = False  # the exported standalone training script covers it
    scores: tuple[str, ...] = ()  # the anomaly scores it gives each sample (score_batch), the main one first
    # ---- what its curves mean (the coach reads these, insight/coach.py) ----
    falls = True  # its training loss should fall as it learns (an adversarial loss need not)
    judged_by = ""  # where to see whether it learns, when its loss need not fall ("the drawings in ...")
    apart = False  # its networks train side by side: "loss/<network>", "val_accuracy/<network>" are read one by one
    limits: tuple[Limit, ...] = ()  # epoch metrics that say something is wrong past a value
    classifies = False  # its network sorts samples into classes (the Boundary tab draws them)

    def __init__(self, graph: Graph, config: TrainConfig, network: str | None = None):
        self.graph, self.config = graph, config
        budget.check(graph, config)  # before anything is allocated
        self.set_networks(self.build(network))
        self.loop = None
        self.train_tensors: tuple = ()
        self.val_tensors: tuple | None = None
        self.test_tensors: tuple | None = None
        self.augment = None

    # ---- set-up ----------------------------------------------------------------------------------
    @classmethod
    def data(cls, graph: Graph, config: TrainConfig, spec: DataSpec | None = None, progress=None,
             download: bool = False, prepared=None) -> TrainingData:
        """The document's dataset (or `spec`) as this recipe trains on it (default: as the dataset gives it)."""
        spec = spec or DataSpec.from_dict(graph.meta.get("data"))
        try:
            prepared = prepared or prepare(spec, progress, download)
        except DataError as e:
            raise TrainingError(str(e)) from None
        return TrainingData(prepared, prepared.train, prepared.val, prepared.test, None)

    @classmethod
    def called_for(cls, graph: Graph) -> bool:
        """Whether the document's layers call for this recipe rather than the default one (a Reparameterize
        layer: the variational), as an imported document's first settings."""
        return False

    @classmethod
    def check_task(cls, config: TrainConfig, prepared, spec: DataSpec) -> None:
        """Raise TrainingError when the loss does not suit the data (a classification loss on numbers...)."""
        if cls.losses and config.loss not in cls.losses:
            raise TrainingError(f"the {cls.name} recipe takes the {' or '.join(cls.losses)} loss, not {config.loss}")

    @classmethod
    def data_problems(cls, graph: Graph, config: TrainConfig, prepared, spec: DataSpec, analysis=None) -> list[Problem]:
        """What does not fit the dataset before training, each on its node with a fix (the Problems panel,
        `netbuilder check --data`): by default, the Input's shape."""
        return input_problems(graph, prepared, spec)

    @classmethod
    def fit_to_data(cls, graph: Graph, config: TrainConfig, prepared, edits: list, left: list[str]) -> None:
        """Add to `edits` what makes the network's end fit the dataset (Use dataset): by default the last
        Linear's outputs and a loss that suits the task; say in `left` what it could not do."""
        fit_supervised(graph, config, prepared, edits, left)

    def build(self, network: str | None) -> dict[str, nn.Module]:
        raise NotImplementedError

    def set_networks(self, networks: dict[str, nn.Module]) -> None:
        """The networks it trains; `model` holds them all (one network, or every network's layers in one
        module, shared, not copied): what checkpoints, transfer learning and the diagnosis see."""
        self.networks = networks
        if len(networks) == 1:
            self.model = next(iter(networks.values()))
            return
        self.model = nn.Module()
        for net in networks.values():
            for layer, module in net.named_children():
                if hasattr(self.model, layer):
                    raise TrainingError(f"two networks have a layer named '{layer}': rename one")
                self.model.add_module(layer, module)

    def attach(self, loop, train, val, test, augment) -> None:
        """Take the data (tuples of tensors: inputs..., target) onto the loop's device."""
        self.loop = loop

        def onto(part):
            if part is None or not len(part[0]):
                return None
            return tuple(t.to(loop.device) for t in part)

        self.train_tensors = onto(train)
        if self.train_tensors is None:
            raise TrainingError("there are no training samples")
        self.val_tensors, self.test_tensors, self.augment = onto(val), onto(test), augment

    def configure_optimizers(self) -> dict:
        return {name: make_optimizer(self.config, net, self.graph) for name, net in self.networks.items()}

    # ---- training ----------------------------------------------------------------------------------
    def train(self) -> None:
        for net in self.networks.values():
            net.train()

    def training_step(self, batch: tuple) -> dict:
        raise NotImplementedError

    def training_epoch_end(self) -> dict:
        """Training metrics that are cheaper to compute once an epoch (e.g. accuracy)."""
        return {}

    def validation(self) -> dict:
        return {}

    def test(self):
        """An Evaluation on the test split after training, or None."""
        return None

    def score_batch(self, inputs: tuple) -> dict:
        """Each sample's anomaly scores (higher: more unusual), a [N] tensor per name in `scores`; called
        with the networks in eval mode and without gradients (insight/anomaly.py)."""
        raise NotImplementedError(f"the {self.name} recipe gives no anomaly score")

    def probe(self, batch: tuple) -> None:
        """Run the networks forward on a batch (no gradients), to find where a value stopped being finite."""
        self.training_step(batch)

    def baseline(self) -> dict:
        """What a network that learned nothing scores on the training samples ("loss", "accuracy"), to
        compare the curves with (the coach); {} where there is no such score (an adversarial loss)."""
        return guessing(self.train_tensors[-1], self.config.loss) if self.train_tensors else {}

    def pictures(self, epoch: int):
        """What the network makes now, for the Samples view: (caption, samples, real points or None). Samples
        are images [N, C, H, W] shown eight to a row, points [N, 2], or a tuple of image tensors shown side by
        side (each its own grid)."""
        return None

    def generate(self, count: int, seed: int = 0):
        """`count` new samples made by the trained networks from seeded noise (the same for the same seed),
        shaped like the data, on the CPU: what `netbuilder generate` writes. A recipe that makes no samples
        says so."""
        from . import recipes

        makers = sorted(name for name, cls in recipes().items() if cls.generate is not Recipe.generate)
        writers = sorted(name for name, cls in recipes().items() if "text" in cls.shows)
        raise TrainingError(f"a {self.name} run makes no new samples: generate works for the runs of"
                            f" {', '.join(makers)} (samples) and {', '.join(writers)} (text)")

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
