"""Adversarial (a GAN): two networks of one document trained in turns.

The document holds a generator (an Input of noise [latent] -> ... -> an Output shaped like one data
sample, e.g. "fake") and a discriminator (an Input shaped like one data sample -> ... -> an Output of
one value, the logit of "real", e.g. "real_or_fake"). `find_networks` tells them apart by shape.

Each step, on a batch of real samples (their labels are ignored) and as many noise vectors z:
1. the discriminator: BCE with logits, real -> 1 and G(z) -> 0; its loss is the sum of both halves
   (2 ln 2 = 1.386 when it cannot tell them apart);
2. the generator: the non-saturating loss, BCE of D(G(z)) against "real", i.e. -log D(G(z)), through
   the discriminator as it is after step 1 (ln 2 = 0.693 at the balance).

Both optimizer steps happen inside the recipe's step (manual optimisation): each network has its own
optimizer, config.optimizer at config.lr with lr_scale, frozen layers, weight_decay, clip_norm, the
schedule and warmup. adam and adamw use betas (0.5, 0.999), the DCGAN choice: a shorter memory of past
gradients keeps the two players from overshooting each other. A partial last batch is dropped (the
discriminator sees as many real as generated samples). Not used: config.loss (the recipe fixes it),
early stopping and best.pt (GAN losses do not fall to a best), mixed precision, augmentation (the
generator would learn to draw augmented samples) and the test set.

Step metrics: "loss" (the generator's), "loss/generator", "loss/discriminator", "real_score" and
"fake_score" (mean D(x) and D(G(z)) as probabilities, before D's update). Validation: "val_loss" (the
discriminator's loss on validation samples against as many generated ones, fixed noise) and "d_accuracy".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from ...analysis import Analysis
from ...compile import build_model
from ...graph.model import Graph
from ...graph.problems import GraphError
from ..errors import TrainingError
from ..optim import make_optimizer
from .base import Limit, Recipe

BETAS = (0.5, 0.999)  # Adam's betas for both networks (DCGAN)
GENERATOR, DISCRIMINATOR = "generator", "discriminator"
EVAL_BATCH = 1024  # samples per forward pass when judging a whole split


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



class Adversarial(Recipe):
    name = "adversarial"
    rank = 3
    monitor = None
    automatic = False
    drop_last = True
    mixed_precision = False
    summary = "a GAN: a generator and a discriminator trained in turns, each with its own optimizer"
    target_is_input = True
    losses = ()  # it fixes its own
    shows = frozenset({"samples"})
    keeps_inputs = False
    falls = False  # the two players' losses balance; they need not fall
    judged_by = "the drawings in the Samples tab"
    limits = (Limit("d_accuracy", 0.95, "the discriminator tells nearly every drawing from a real sample, so the"
                    " generator gets little to learn from", lr_factor=0.5),)

    def build(self, network):
        return {}  # built in attach(), once the data's sample shape is known

    def attach(self, loop, train, val, test, augment) -> None:
        x = train[0] if train is not None and len(train) else None
        if x is None or len(x) == 0:
            raise TrainingError("there are no training samples")
        self.sample_shape = tuple(x.shape[1:])  # what samples() gives: shaped like the data
        self.nets = find_networks(self.graph, self.sample_shape)
        self.generator = build_model(self.graph, self.nets.generator).to(loop.device)
        self.discriminator = build_model(self.graph, self.nets.discriminator).to(loop.device)
        self.set_networks({GENERATOR: self.generator, DISCRIMINATOR: self.discriminator})
        shape = self.nets.d_input
        super().attach(loop, (x.reshape(-1, *shape),),
                       (val[0].reshape(-1, *shape),) if val is not None and len(val[0]) else None, None, None)

    def configure_optimizers(self) -> dict:
        betas = BETAS if self.config.optimizer in ("adam", "adamw") else None
        optimizers = {}
        for role, net in self.networks.items():
            try:
                optimizers[role] = make_optimizer(self.config, net, self.graph, betas)
            except TrainingError as e:
                raise TrainingError(f"the {role}: {e}") from None
        return optimizers

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n noise vectors for the generator: standard normal, shaped like its Input."""
        return torch.randn(n, *self.nets.latent, generator=generator).to(self.loop.device)

    def training_step(self, batch):
        real = batch[0]
        b = len(real)
        G, D = self.generator, self.discriminator
        fake = G(self.noise(b, self.loop.gen)).reshape(b, *self.nets.d_input)
        ones = torch.ones(b, device=real.device)
        zeros = torch.zeros(b, device=real.device)
        # 1. the discriminator: real -> 1, generated -> 0 (no gradient into the generator)
        real_logits, fake_logits = D(real).reshape(b), D(fake.detach()).reshape(b)
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones)
                  + F.binary_cross_entropy_with_logits(fake_logits, zeros))
        self.loop.optimize(d_loss, DISCRIMINATOR)
        # 2. the generator: make the updated discriminator say "real" (non-saturating loss)
        g_loss = F.binary_cross_entropy_with_logits(D(fake).reshape(b), ones)
        self.loop.optimize(g_loss, GENERATOR)
        g, d = g_loss.detach(), d_loss.detach()
        return {"loss": g, f"loss/{GENERATOR}": g, f"loss/{DISCRIMINATOR}": d,
                "real_score": torch.sigmoid(real_logits.detach()).mean(),
                "fake_score": torch.sigmoid(fake_logits.detach()).mean()}

    def probe(self, batch) -> None:
        real = batch[0]
        fake = self.generator(self.noise(len(real))).reshape(len(real), *self.nets.d_input)
        self.discriminator(real)
        self.discriminator(fake)

    def baseline(self) -> dict:
        return {}  # the players' losses are not scores against a target

    def validation(self) -> dict:
        if self.val_tensors is None:
            return {}
        loss, accuracy = self.judge(self.val_tensors[0], seed=self.config.seed + 1)
        return {"val_loss": loss, "d_accuracy": accuracy}

    def pictures(self, epoch: int):
        samples = self.samples(64)
        real = self.train_tensors[0].reshape(-1, *self.sample_shape).cpu() if samples.dim() == 2 else None
        where = ", over the real points in grey" if real is not None else ""
        return f"Epoch {epoch}: generated from the same noise each epoch{where}", samples, real

    # ---- generating and judging ----------------------------------------------------------------
    def samples(self, n: int = 64, seed: int = 0) -> torch.Tensor:
        """n generated samples from fixed noise (the same for the same seed), in eval mode, on the CPU,
        shaped like the data."""
        return self._generate(n, seed).reshape(n, *self.sample_shape).cpu()

    def generate(self, count: int, seed: int = 0) -> torch.Tensor:
        return self.samples(count, seed)

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
        return torch.cat(parts).reshape(n, *self.nets.d_input)

    def judge(self, x: torch.Tensor, seed: int = 0) -> tuple[float, float]:
        """The discriminator on real samples x against as many generated ones (eval mode):
        (its loss as in training, its accuracy: real called real and generated called generated)."""
        x = x.to(self.loop.device).reshape(-1, *self.nets.d_input)
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


def discriminator_accuracy(trainer, x: torch.Tensor, seed: int = 0) -> float:
    """How often the discriminator is right on real samples x and as many generated ones (eval mode);
    0.5 means it cannot tell them apart, 1.0 that it wins outright."""
    return trainer.recipe.judge(x, seed)[1]


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
