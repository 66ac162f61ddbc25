"""GAN training (the "adversarial" recipe): two networks of one document trained in turns. No Qt.

The document holds a generator (an Input of noise [latent] -> ... -> an Output shaped like one data
sample, e.g. "fake") and a discriminator (an Input shaped like one data sample -> ... -> an Output of
one value, the logit of "real", e.g. "real_or_fake"). `find_networks` tells them apart by shape.

Each step, on a batch of real samples (their labels are ignored) and as many noise vectors z:
1. the discriminator: BCE with logits, real -> 1 and G(z) -> 0; its loss is the sum of both halves
   (2 ln 2 = 1.386 when it cannot tell them apart);
2. the generator: the non-saturating loss, BCE of D(G(z)) against "real", i.e. -log D(G(z)), through
   the discriminator as it is after step 1 (ln 2 = 0.693 at the balance).

Each network has its own optimizer: config.optimizer at config.lr, with lr_scale, frozen layers,
weight_decay, clip_norm, the schedule and warmup as in Trainer. adam and adamw use betas (0.5, 0.999),
the DCGAN choice: a shorter memory of past gradients keeps the two players from overshooting each
other. A partial last batch is dropped (the discriminator sees as many real as generated samples).
Not used: config.loss (the recipe fixes it), early_stopping (GAN losses do not fall to a best),
mixed_precision, augmentation (the generator would learn to draw augmented samples) and the test set.

GanTrainer has Trainer's public surface (run, stop, pause, resume, paused, monitor, callbacks,
start_epoch, config, graph, model, test_data, transferred, transfer_skipped, load_checkpoint), so the
training panel and `netbuilder train` drive it alike. Its steps are GanStep (Step plus both losses)
and its epochs GanEpoch. `adversarial_data` prepares the document's dataset (training_data wants one
network). `samples`, `mode_coverage`, `discriminator_accuracy` and `mean_image_distance` measure it.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..analysis import Analysis
from ..compile import build_model
from ..data.dataset import DataSpec, prepare
from ..data.raw import DataError
from ..graph.model import Graph
from ..graph.problems import GraphError
from .callbacks import Callback
from .config import TrainConfig
from .gradients import GradientMonitor
from .inputs import TrainingData
from .trainer import (CHECKPOINT_SECONDS, RATIO_EVERY, Controls, Epoch, Result, Step, TrainingError, copy_state,
                      lr_factor, make_optimizer, pick_device, write_states)
from .transfer import TransferError, load_matching

BETAS = (0.5, 0.999)  # Adam's betas for both networks (DCGAN)
GENERATOR, DISCRIMINATOR = "generator", "discriminator"  # the keys of GanStep.losses and GanEpoch.losses
EVAL_BATCH = 1024  # samples per forward pass when judging a whole split


@dataclass
class GanStep(Step):
    losses: dict[str, float] = field(default_factory=dict)  # {"generator": ..., "discriminator": ...}
    real_score: float = 0.0  # mean D(x) (a probability) on the batch's real samples, before D's update
    fake_score: float = 0.0  # mean D(G(z)) on its generated samples, before D's update


@dataclass
class GanEpoch(Epoch):
    """train_loss is the generator's mean loss; val_loss the discriminator's loss on the validation
    samples against as many generated ones (fixed noise), d_accuracy its accuracy there."""
    losses: dict[str, float] = field(default_factory=dict)  # the epoch's mean of each network's loss
    d_accuracy: float | None = None


@dataclass
class GanNetworks:
    generator: str  # the name of its Output (what build_model(graph, network=...) takes)
    discriminator: str
    latent: tuple[int, ...]  # the shape of one noise sample: the generator Input's shape
    d_input: tuple[int, ...]  # the discriminator Input's shape


@dataclass
class _Net:
    output: str
    input: str
    in_shape: tuple[int, ...]
    in_dtype: str
    out_shape: tuple[int, ...] | None

    def describe(self) -> str:
        out = f"[N, {', '.join(map(str, self.out_shape))}]" if self.out_shape is not None else "an unknown shape"
        return f"'{self.output}' (Input '{self.input}' [N, {', '.join(map(str, self.in_shape))}] -> {out})"


def _shape(shape) -> str:
    return f"[N, {', '.join(map(str, shape))}]"


def find_networks(graph: Graph, sample_shape: tuple[int, ...], analysis: Analysis | None = None) -> GanNetworks:
    """Which network is the generator and which the discriminator, for data of `sample_shape`.

    The discriminator takes a sample (its Input holds as many values as one) and gives one value;
    the generator is another network whose Output holds as many values as one sample. Raises
    TrainingError saying what is missing, with each network's shapes."""
    own = analysis is None
    analysis = analysis or Analysis(graph)
    try:
        errors = [p for p in analysis.problems() if p.severity == "error"]
        if errors:
            raise GraphError(errors, {n.id: n.name for n in graph.nodes()})
        nets, odd = [], []
        for part in graph.networks():
            nodes = [graph.node(i) for i in part]
            ins = [n for n in nodes if n.type == "Input"]
            outs = [n for n in nodes if n.type == "Output"]
            if len(ins) != 1 or len(outs) != 1:
                named = outs[0].name if outs else nodes[0].name
                odd.append(f"'{named}' ({len(ins)} Inputs and {len(outs)} Outputs)")
                continue
            given = analysis.inputs(outs[0].id).get("in")
            nets.append(_Net(outs[0].name, ins[0].name, tuple(ins[0].params["shape"]),
                             ins[0].params.get("dtype", "float"), tuple(given.shape) if given else None))
    finally:
        if own:
            analysis.close()
    size = math.prod(sample_shape)
    data = f"{_shape(sample_shape)}, {size} values"
    listed = "; ".join([n.describe() for n in nets] + odd)
    count = len(nets) + len(odd)
    if count < 2:
        raise TrainingError(f"the adversarial recipe trains two networks, a generator and a discriminator, but"
                            f" this document has {count}: {listed}. Add a discriminator: an Input shaped like"
                            f" one sample ({data}) and an Output of one value")
    judges = [n for n in nets if n.in_dtype == "float" and math.prod(n.in_shape) == size
              and n.out_shape is not None and math.prod(n.out_shape) == 1]
    makers = [n for n in nets if n.out_shape is not None and math.prod(n.out_shape) == size
              and n.in_dtype == "float"]
    if not judges:
        raise TrainingError(f"no network can be the discriminator: it needs an Input shaped like one sample of"
                            f" the data ({data}) and an Output of one value (the logit of 'real'; a last"
                            f" Linear with 1 output). The networks: {listed}")
    pairs = [(g, d) for g in makers for d in judges if g is not d]
    if not pairs:
        raise TrainingError(f"no network can be the generator: it needs an Input of noise and an Output"
                            f" shaped like one sample of the data ({data}), apart from the discriminator"
                            f" {judges[0].describe()}. The networks: {listed}")
    if len(pairs) > 1:  # prefer a generator whose Input is not shaped like the data
        fewer = [(g, d) for g, d in pairs if math.prod(g.in_shape) != size]
        pairs = fewer if len(fewer) == 1 else pairs
    if len({(g.output, d.output) for g, d in pairs}) > 1:
        options = ", ".join(f"generator '{g.output}' with discriminator '{d.output}'" for g, d in pairs)
        raise TrainingError(f"cannot tell the generator from the discriminator ({options}): give the generator's"
                            " noise Input a size other than a data sample's, and keep one discriminator")
    g, d = pairs[0]
    return GanNetworks(g.output, d.output, g.in_shape, d.in_shape)


def adversarial_data(graph: Graph, spec: DataSpec | None = None, progress=None, download: bool = False,
                     prepared=None) -> TrainingData:
    """The document's dataset for GanTrainer (training_data wants a single network): samples as the
    dataset gives them, labels kept but unused, no augmentation. Raises TrainingError."""
    spec = spec or DataSpec.from_dict(graph.meta.get("data"))
    try:
        prepared = prepared or prepare(spec, progress, download)
    except DataError as e:
        raise TrainingError(str(e)) from None
    return TrainingData(prepared, prepared.train, prepared.val, prepared.test, None)


class GanMonitor:
    """Gradient norms of both networks: `layers` lists the generator's, then the discriminator's."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        self.generator, self.discriminator = GradientMonitor(generator), GradientMonitor(discriminator)
        self.layers = self.generator.layers + self.discriminator.layers
        self.networks = {GENERATOR: list(self.generator.layers), DISCRIMINATOR: list(self.discriminator.layers)}


class _NotFinite(TrainingError):
    def __init__(self, message: str, layer: str | None):
        super().__init__(message)
        self.layer = layer


class GanTrainer(Controls):
    """Trains a document's generator and discriminator in turns (see the module's docstring).

    train and val are (x, y) as the dataset gives them, or x alone; y is ignored. test and augment
    are accepted for Trainer's signature and not used. Beside Trainer's attributes: `networks`
    (GanNetworks: which Output is which), `generator` and `discriminator` (the two GraphModules;
    `model` holds both networks' layers), `optimizers` and `schedulers` (by "generator" and
    "discriminator"), `sample_shape` and `samples()` for a live picture, `judge()`."""

    def __init__(self, graph: Graph, config: TrainConfig, train, val=None, callbacks: list[Callback] = (),
                 checkpoint_dir: str | Path | None = None, test=None, augment=None):
        problems = config.problems()
        if problems:
            raise TrainingError("the training settings are not usable: " + "; ".join(problems))
        self.graph, self.config, self.callbacks = graph, config, list(callbacks)
        x = _samples_of(train)
        if x is None or len(x) == 0:
            raise TrainingError("there are no training samples")
        self.sample_shape = tuple(x.shape[1:])  # what samples() gives: shaped like the data
        self.networks = find_networks(graph, self.sample_shape)
        torch.manual_seed(config.seed)
        self.device = pick_device(config.device)
        self.generator = build_model(graph, self.networks.generator)
        self.discriminator = build_model(graph, self.networks.discriminator)
        # both networks' layers in one module (shared, not copied): checkpoints, transfer, diagnosis
        self.model = nn.Module()
        for name, module in [*self.generator.named_children(), *self.discriminator.named_children()]:
            if hasattr(self.model, name):
                raise TrainingError(f"both networks have a layer named '{name}': rename one")
            self.model.add_module(name, module)
        self.transferred: list[str] = []
        self.transfer_skipped: list[str] = []
        if config.init_from:
            try:
                self.transferred, self.transfer_skipped = load_matching(self.model, config.init_from)
            except TransferError as e:
                raise TrainingError(str(e)) from None
        self.model.to(self.device)
        shape = self.networks.d_input
        self.train_data = x.to(self.device).reshape(-1, *shape)
        v = _samples_of(val)
        self.val_data = v.to(self.device).reshape(-1, *shape) if v is not None and len(v) else None
        self.test_data = None  # a GAN has no test-set evaluation
        self.augment = None
        self.optimizers = {GENERATOR: self._optimizer(self.generator, GENERATOR),
                           DISCRIMINATOR: self._optimizer(self.discriminator, DISCRIMINATOR)}
        self.schedulers = {k: torch.optim.lr_scheduler.LambdaLR(o, lambda e: lr_factor(config, e))
                           for k, o in self.optimizers.items()}
        self._g_params = [p for p in self.generator.parameters() if p.requires_grad]
        self.monitor = GanMonitor(self.generator, self.discriminator)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self._gen = torch.Generator().manual_seed(config.seed)  # shuffling and noise; checkpointed
        self._unsaved: dict[str, dict] = {}
        self._saved_at = -math.inf
        self.start_epoch = 0
        self._last_ratios: list[float] = []
        self._lock = threading.RLock()  # one training step, or samples() from another thread
        Controls.__init__(self)

    def _optimizer(self, model: nn.Module, role: str) -> torch.optim.Optimizer:
        try:
            optimizer = make_optimizer(self.config, model, self.graph)
        except TrainingError as e:
            raise TrainingError(f"the {role}: {e}") from None
        if self.config.optimizer in ("adam", "adamw"):
            optimizer.defaults["betas"] = BETAS
            for group in optimizer.param_groups:
                group["betas"] = BETAS
        return optimizer

    @property
    def lr(self) -> float:
        """The learning rate now (of a layer with lr_scale 1), the same for both networks."""
        scheduler = self.schedulers[GENERATOR]
        return self.config.lr * scheduler.lr_lambdas[0](scheduler.last_epoch)

    # ---- the loop ----------------------------------------------------------------------------
    def run(self) -> Result:
        result = Result("finished")
        self._emit("on_train_start", self)
        try:
            self._loop(result)
        except TrainingError as e:
            result.status, result.message = "failed", str(e)
            result.bad_layer = getattr(e, "layer", None)
        except (RuntimeError, ValueError) as e:
            result.status, result.message = "failed", f"training failed: {e}"
        try:
            self.write_checkpoints()
        except Exception as e:  # noqa: BLE001 - a full disk is a RuntimeError from torch.save
            self._unsaved.clear()
            result.message += f" The checkpoints could not be written: {str(e).splitlines()[0]}"
        self._emit("on_train_end", self, result)
        return result

    def _loop(self, result: Result) -> None:
        x = self.train_data
        n, bs = len(x), self.config.batch_size
        steps = max(1, n // bs)  # full batches only (one batch of all when there are fewer samples)
        global_step = self.start_epoch * steps
        for epoch in range(self.start_epoch, self.config.epochs):
            started = time.perf_counter()
            self._emit("on_epoch_start", self, epoch)
            self.generator.train()
            self.discriminator.train()
            order = torch.randperm(n, generator=self._gen).to(self.device)
            sums, seen = {GENERATOR: 0.0, DISCRIMINATOR: 0.0}, 0
            for step in range(steps):
                if self._stopped(result, epoch):
                    return
                idx = order[step * bs:(step + 1) * bs]
                with self._lock:
                    losses, norms, scores = self._train_step(x[idx], global_step)
                for k in sums:
                    sums[k] += losses[k] * len(idx)
                seen += len(idx)
                info = GanStep(epoch, step, global_step, steps, losses[GENERATOR], self.lr, len(idx), norms,
                               self._last_ratios, losses=losses, real_score=scores[0], fake_score=scores[1])
                self._emit("on_step_end", self, info)
                global_step += 1
            lr = self.lr
            for scheduler in self.schedulers.values():
                scheduler.step()
            val_loss = d_accuracy = None
            if self.val_data is not None:
                val_loss, d_accuracy = self.judge(self.val_data, seed=self.config.seed + 1)
            means = {k: v / seen for k, v in sums.items()}
            record = GanEpoch(epoch, means[GENERATOR], None, val_loss, None, lr, time.perf_counter() - started,
                              losses=means, d_accuracy=d_accuracy)
            result.epochs.append(record)
            self._emit("on_epoch_end", self, record)
            self._save_checkpoint(epoch)

    def _train_step(self, real: torch.Tensor, global_step: int):
        b = len(real)
        G, D = self.generator, self.discriminator
        d_opt, g_opt = self.optimizers[DISCRIMINATOR], self.optimizers[GENERATOR]
        ratios = global_step % RATIO_EVERY == 0
        z = self.noise(b, self._gen)
        fake = G(z).reshape(b, *self.networks.d_input)
        ones = torch.ones(b, device=self.device)
        zeros = torch.zeros(b, device=self.device)
        # 1. the discriminator: real -> 1, generated -> 0 (no gradient into the generator)
        d_opt.zero_grad(set_to_none=True)
        real_logits, fake_logits = D(real).reshape(b), D(fake.detach()).reshape(b)
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones)
                  + F.binary_cross_entropy_with_logits(fake_logits, zeros))
        d_loss.backward()
        d_value = d_loss.item()
        d_norms = self.monitor.discriminator.grad_norms()
        self._check(DISCRIMINATOR, d_value, d_norms, self.monitor.discriminator.layers, global_step)
        self._clip(D)
        if ratios:
            self.monitor.discriminator.remember_weights()
        d_opt.step()
        # 2. the generator: make the updated discriminator say "real" (non-saturating loss)
        g_opt.zero_grad(set_to_none=True)
        g_loss = F.binary_cross_entropy_with_logits(D(fake).reshape(b), ones)
        g_loss.backward(inputs=self._g_params)  # no gradient kept for the discriminator's weights
        g_value = g_loss.item()
        g_norms = self.monitor.generator.grad_norms()
        self._check(GENERATOR, g_value, g_norms, self.monitor.generator.layers, global_step)
        self._clip(G)
        if ratios:
            self.monitor.generator.remember_weights()
        g_opt.step()
        if ratios:
            self._last_ratios = (self.monitor.generator.update_ratios().tolist()
                                 + self.monitor.discriminator.update_ratios().tolist())
        scores = torch.stack([torch.sigmoid(real_logits.detach()).mean(),
                              torch.sigmoid(fake_logits.detach()).mean()]).tolist()
        return {GENERATOR: g_value, DISCRIMINATOR: d_value}, g_norms + d_norms, scores

    def _check(self, role: str, loss: float, norms: list[float], layers: list[str], step: int) -> None:
        if math.isfinite(loss) and all(map(math.isfinite, norms)):
            return
        bad = next((name for name, v in zip(layers, norms) if not math.isfinite(v)), None)
        what = "loss" if not math.isfinite(loss) else "gradient"
        where = f": the first layer with a non-finite gradient is '{bad}'" if bad else ""
        raise _NotFinite(f"the {role}'s {what} became NaN or infinite at step {step + 1}{where}. Try a lower"
                         " learning rate, gradient clipping (clip_norm), or BatchNorm.", bad)

    def _clip(self, model: nn.Module) -> None:
        if self.config.clip_norm:
            nn.utils.clip_grad_norm_(model.parameters(), self.config.clip_norm)

    # ---- generating and judging --------------------------------------------------------------
    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n noise vectors for the generator: standard normal, shaped like its Input."""
        return torch.randn(n, *self.networks.latent, generator=generator).to(self.device)

    def samples(self, n: int = 64, seed: int = 0) -> torch.Tensor:
        """n generated samples from fixed noise (the same for the same seed), in eval mode, on the
        CPU, shaped like the data. Safe from another thread: it waits for the current step."""
        with self._lock:
            out = self._generate(n, seed)
        return out.reshape(n, *self.sample_shape).cpu()

    def _generate(self, n: int, seed: int) -> torch.Tensor:
        """Generated samples shaped for the discriminator (eval mode, no gradient)."""
        gen = torch.Generator().manual_seed(seed)
        was = self.generator.training
        self.generator.eval()
        try:
            with torch.no_grad():
                parts = [self.generator(self.noise(min(EVAL_BATCH, n - i), gen)) for i in range(0, n, EVAL_BATCH)]
        finally:
            self.generator.train(was)
        return torch.cat(parts).reshape(n, *self.networks.d_input)

    def judge(self, x: torch.Tensor, seed: int = 0) -> tuple[float, float]:
        """The discriminator on real samples x against as many generated ones (eval mode):
        (its loss as in training, its accuracy: real called real and generated called generated)."""
        with self._lock:
            x = x.to(self.device).reshape(-1, *self.networks.d_input)
            fake = self._generate(len(x), seed)
            was = self.discriminator.training
            self.discriminator.eval()
            try:
                with torch.no_grad():
                    real_logits, fake_logits = (torch.cat([self.discriminator(part).reshape(-1)
                                                           for part in t.split(EVAL_BATCH)]) for t in (x, fake))
            finally:
                self.discriminator.train(was)
        loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        right = (real_logits > 0).sum() + (fake_logits <= 0).sum()
        return loss.item(), right.item() / (2 * len(x))

    # ---- checkpoints -------------------------------------------------------------------------
    def _save_checkpoint(self, epoch: int) -> None:
        """last.pt only (a GAN has no best epoch by loss); written at most every CHECKPOINT_SECONDS."""
        if self.checkpoint_dir is None:
            return
        self._unsaved["last.pt"] = {
            "recipe": "adversarial", "model": copy_state(self.model.state_dict()),
            "optimizers": {k: copy_state(o.state_dict()) for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "epoch": epoch, "shuffle": self._gen.get_state()}
        if time.perf_counter() - self._saved_at >= CHECKPOINT_SECONDS:
            try:
                self.write_checkpoints()
            except Exception as e:  # noqa: BLE001 - a full disk is a RuntimeError from torch.save
                self._unsaved.clear()
                raise TrainingError(f"the checkpoints could not be written to {self.checkpoint_dir}:"
                                    f" {str(e).splitlines()[0]}") from None

    def write_checkpoints(self) -> None:
        write_states(self.checkpoint_dir, self._unsaved)
        self._saved_at = time.perf_counter()

    def load_checkpoint(self, path: str | Path) -> None:
        """Resume a GAN run: both networks' weights, optimizers and schedules; on after its epoch."""
        path = Path(path)
        if not path.is_file():
            raise TrainingError(f"there is no checkpoint to resume from at '{path}'")
        try:
            state = torch.load(path, map_location=self.device, weights_only=True)
        except Exception as e:  # noqa: BLE001 - a damaged file: torch raises many kinds
            raise TrainingError(f"cannot resume from '{path.name}': {str(e).splitlines()[0]}") from None
        if not isinstance(state, dict) or state.get("recipe") != "adversarial":
            raise TrainingError(f"cannot resume from '{path.name}': it is not a checkpoint of a GAN run")
        bases = {k: list(s.base_lrs) for k, s in self.schedulers.items()}  # the rates set now
        try:
            self.model.load_state_dict(state["model"])
        except Exception as e:  # noqa: BLE001 - another network's weights
            lines = [line.strip() for line in str(e).splitlines()[1:] if line.strip()]
            raise TrainingError(f"cannot resume from '{path.name}': the networks have changed since that run"
                                f" ({'; '.join(lines[:2]) or str(e).splitlines()[0]})") from None
        try:
            for k in self.optimizers:
                self.optimizers[k].load_state_dict(state["optimizers"][k])
                self.schedulers[k].load_state_dict(state["schedulers"][k])
            epoch = int(state["epoch"])
        except (ValueError, KeyError, TypeError):
            raise TrainingError(f"cannot resume from '{path.name}': layers were frozen, unfrozen or given another"
                                " lr_scale since that run; start a new run instead") from None
        if "shuffle" in state:
            self._gen.set_state(state["shuffle"])
        for k, scheduler in self.schedulers.items():
            factor = scheduler.lr_lambdas[0](scheduler.last_epoch)
            scheduler.base_lrs = bases[k]
            for group, base in zip(self.optimizers[k].param_groups, bases[k]):
                group["initial_lr"], group["lr"] = base, base * factor
        if epoch + 1 >= self.config.epochs:
            raise TrainingError(f"the checkpoint already has all {self.config.epochs} epochs:"
                                " raise epochs to train on")
        self.start_epoch = epoch + 1



def _samples_of(data) -> torch.Tensor | None:
    """The samples of (x, y) or of x alone."""
    if data is None:
        return None
    return data[0] if isinstance(data, (tuple, list)) else data



# ---- measures (the templates' quality bars) -----------------------------------------------------
def nearest_mode_distance(samples: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Each sample's distance to its nearest mode centre [n]."""
    return torch.cdist(samples.reshape(len(samples), -1).float(), centres.float()).min(dim=1).values


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, std: float, min_share: float = 0.02) -> float:
    """The share of modes covered: a mode is covered when at least `min_share` of the samples lie
    within 3 std of its centre (8 modes shared fairly would get 12.5% each)."""
    close = torch.cdist(samples.reshape(len(samples), -1).float(), centres.float()) <= 3 * std  # [n, modes]
    return (close.float().mean(dim=0) >= min_share).float().mean().item()


def near_mode_share(samples: torch.Tensor, centres: torch.Tensor, std: float) -> float:
    """The share of samples within 3 std of some mode (the rest fall between modes)."""
    return (nearest_mode_distance(samples, centres) <= 3 * std).float().mean().item()


def discriminator_accuracy(trainer: GanTrainer, x: torch.Tensor, seed: int = 0) -> float:
    """How often the discriminator is right on real samples x and as many generated ones (eval mode);
    0.5 means it cannot tell them apart, 1.0 that it wins outright."""
    return trainer.judge(x, seed)[1]


def mean_image_distance(samples: torch.Tensor, real: torch.Tensor) -> float:
    """The L2 distance between the mean generated sample and the mean real sample."""
    return (samples.reshape(len(samples), -1).float().mean(dim=0)
            - real.reshape(len(real), -1).float().mean(dim=0)).norm().item()


def spread_ratio(samples: torch.Tensor, real: torch.Tensor) -> float:
    """How much the generated samples vary against the real ones: the mean per-value standard
    deviation of each, divided. Near 0 when the generator collapses to one output; about 1 at best."""
    def spread(x):
        return x.reshape(len(x), -1).float().std(dim=0).mean()
    return (spread(samples) / spread(real).clamp_min(1e-12)).item()
