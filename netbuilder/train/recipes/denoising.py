"""Denoising (a diffusion model, DDPM): the network learns to see the noise in a noised sample.

The document's network has two Inputs, the noisy sample (shaped like one data sample) and its timestep (an
Input of shape [1]; dtype int with vocab_size at least diffusion_steps, or float), and one Output shaped
like a sample: the noise it sees. Each step, on a batch of samples x0 (labels ignored): a random step t
of the noise schedule for each, noise eps ~ N(0, 1), x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, and the loss is
the mean squared error between the network's answer for (x_t, t) and eps. New samples start as pure noise
and go back step by step (train/diffusion.py): DDPM through all diffusion_steps, or DDIM through ddim_steps.

Settings of its own: noise_schedule (linear or cosine), diffusion_steps (T), sampling (ddpm or ddim),
ddim_steps, ddim_eta (the noise DDIM draws at each of its steps: 0 none, deterministic; 1 DDPM's spread between
them), ema_decay: with it above 0, samples are made with a running average of the weights (Ho et al. keep one, at
0.9999), whose decay it is; it steadies the samples of a run at a constant learning rate; and
unit_range: the data's range (its smallest to its largest value) mapped onto [-1, 1] for training, as Ho et al.
scale images, and the samples mapped back (noise of spread 1 then meets data of about that spread); snr_gamma:
above 0, each step's loss weighted by min(SNR, snr_gamma) / SNR (Min-SNR; 5 in the paper). Not used:
config.loss (it fixes the MSE on the noise), augmentation, the test set.
Validation: "val_loss", the same loss on the validation samples with the same t and noise every epoch.
"""
from __future__ import annotations

import copy
import math

import torch
from torch.nn import functional as F

from ...analysis import Analysis
from ...compile import build_model
from ...compile.plan import network_nodes
from ...graph.edits import SetParam
from ...graph.problems import Fix, Problem
from ..diffusion import Schedule, reverse
from ..errors import TrainingError
from ..generative import as_images, evaluating
from ..inputs import PASS_THROUGH, last_linear
from .base import Recipe

EVAL_BATCH = 1024  # samples per forward pass when judging a split or sampling


def roles(graph, network, sample_shape: tuple[int, ...], steps: int) -> list[Problem]:
    """What keeps the network from being fed by this recipe, as problems on its nodes (empty: it fits)."""
    members = [graph.node(n) for n in network_nodes(graph, network)]
    inputs = [n for n in members if n.type == "Input"]
    outputs = [n for n in members if n.type == "Output"]
    size, shown = math.prod(sample_shape), f"[{', '.join(map(str, sample_shape))}]"
    where = (inputs or outputs or members or [None])[0]
    if len(inputs) != 2 or len(outputs) != 1:
        return [Problem(where.id if where else None,
                        f"the denoising recipe feeds a network of two Inputs, the noisy sample {shown} and its"
                        f" timestep [1], and one Output (the noise it sees, {shown}); this one has {len(inputs)}"
                        f" Inputs and {len(outputs)} Outputs")]
    try:
        sample, time = split_inputs(inputs, size)
    except TrainingError as e:
        return [Problem(inputs[0].id, str(e))]
    found = []
    if math.prod(sample.params["shape"]) != size:
        found.append(Problem(sample.id, f"the Input '{sample.name}' takes the noisy sample, but the data's samples"
                             f" are {shown} ({size} values)",
                             fix=Fix(f"set its shape to {shown}", "set_param", sample.id, param="shape",
                                     value=list(sample_shape))))
    if time.params.get("dtype") == "int" and time.params.get("vocab_size", 0) < steps:
        found.append(Problem(time.id, f"the timestep Input '{time.name}' takes indices below"
                             f" {time.params.get('vocab_size')}, but the steps run to {steps - 1}"
                             " (diffusion_steps - 1)",
                             fix=Fix(f"set its vocab_size to {steps}", "set_param", time.id, param="vocab_size",
                                     value=steps)))
    return found


def split_inputs(inputs: list, size: int):
    """(the sample Input, the timestep Input) of two, in any order: the timestep's shape is [1] (an int
    Input, when both could be)."""
    def time_like(n):
        return list(n.params["shape"]) == [1]

    times = [n for n in inputs if time_like(n)]
    if len(times) == 2:
        times = [n for n in times if n.params.get("dtype") == "int"]
    if len(times) != 1:
        names = " and ".join(f"'{n.name}' {n.params['shape']}" for n in inputs)
        raise TrainingError(f"cannot tell the timestep Input from the sample's ({names}): the timestep's shape is"
                            " [1] (make it dtype int, with vocab_size diffusion_steps, when the sample's is [1] too)")
    time = times[0]
    return next(n for n in inputs if n is not time), time


class Denoising(Recipe):
    name = "denoising"
    rank = 5
    summary = "a diffusion model: the network learns the noise added to samples, then makes new ones from noise"
    target_is_input = True
    losses = ()  # the mean squared error on the noise
    settings = ("noise_schedule", "diffusion_steps", "sampling", "ddim_steps", "ddim_eta", "ema_decay", "unit_range",
                "snr_gamma")
    shows = frozenset({"samples"})
    keeps_inputs = False
    automatic = False  # it steps the optimizer itself, then moves the running average of the weights

    @classmethod
    def data_problems(cls, graph, config, prepared, spec, analysis=None):
        return roles(graph, None, prepared.sample_shape, config.diffusion_steps)

    @classmethod
    def fit_to_data(cls, graph, config, prepared, edits, left) -> None:
        """The last Linear (of an MLP) gives as many values as a sample; the sample Input takes its shape."""
        sample = list(prepared.sample_shape)
        inputs = [n for n in graph.nodes() if n.type == "Input"]
        outputs = [n for n in graph.nodes() if n.type == "Output"]
        try:
            found, _ = split_inputs(inputs, math.prod(sample)) if len(inputs) == 2 else (None, None)
        except TrainingError:
            found = None
        if found is not None and list(found.params["shape"]) != sample:
            edits.append(SetParam(graph, found.id, "shape", sample))
        last = last_linear(graph, outputs[0].id, PASS_THROUGH + ("Reshape",)) if len(outputs) == 1 else None
        if last is not None and len(sample) == 1 and last.params.get("out_features") != sample[0]:
            edits.append(SetParam(graph, last.id, "out_features", sample[0]))
        elif last is None:
            left.append(f"make the network's Output give the noise it sees, shaped like a sample {sample}")

    def build(self, network):
        self.network = network
        return {"model": build_model(self.graph, network)}

    def attach(self, loop, train, val, test, augment) -> None:
        x = train[0] if train is not None and len(train) else None
        if x is None or len(x) == 0:
            raise TrainingError("there are no training samples")
        self.sample_shape = tuple(x.shape[1:])  # what samples() gives: shaped like the data
        problems = roles(self.graph, self.network, self.sample_shape, self.config.diffusion_steps)
        if problems:
            raise TrainingError(problems[0].message)
        inputs = [n for n in (self.graph.node(i) for i in network_nodes(self.graph, self.network)) if n.type == "Input"]
        sample, time = split_inputs(inputs, math.prod(self.sample_shape))
        self.time_first = inputs.index(time) == 0  # forward takes the Inputs in document order
        self.time_int = time.params.get("dtype") == "int"
        self.input_shape = tuple(sample.params["shape"])
        self._check_output()
        self.schedule = Schedule.make(self.config.noise_schedule, self.config.diffusion_steps, loop.device)
        self.gen = torch.Generator(loop.device).manual_seed(self.config.seed)  # t and the noise; checkpointed
        self.ema = copy.deepcopy(self.model).requires_grad_(False) if self.config.ema_decay else None
        self.ema_steps = 0
        low, high = x.min().item(), x.max().item()
        # unit_range: trained on the data's range mapped onto [-1, 1] (x = centre + half * u), samples mapped back
        self.centre, self.half = ((low + high) / 2, (high - low) / 2 or 1.0) if self.config.unit_range else (0.0, 1.0)
        self.clip = tuple((v - self.centre) / self.half for v in (low, high))  # where predicted samples are kept
        shape = self.input_shape

        def mapped(v):
            return ((v - self.centre) / self.half).reshape(-1, *shape)
        super().attach(loop, (mapped(x),), (mapped(val[0]),) if val is not None and len(val[0]) else None, None, None)

    def _check_output(self) -> None:
        analysis = Analysis(self.graph)
        try:
            out = next(n for n in (self.graph.node(i) for i in network_nodes(self.graph, self.network))
                       if n.type == "Output")
            given = analysis.inputs(out.id).get("in")
        finally:
            analysis.close()
        size = math.prod(self.sample_shape)
        if given is not None and math.prod(given.shape) != size:
            raise TrainingError(f"the denoising recipe compares the Output '{out.name}' with the noise in a sample"
                                f" ({size} values), but it gives {given} ({math.prod(given.shape)} values): make"
                                f" the last layer give {size} values")

    # ---- training ----------------------------------------------------------------------------------
    def predict(self, x: torch.Tensor, t: torch.Tensor, model=None) -> torch.Tensor:
        """The network's answer for noisy samples x [N, *input] at steps t [N]: the noise it sees, shaped like x
        (`model`: the network's running average instead)."""
        model = model or self.model
        t = t.reshape(-1, 1)
        t = t.long() if self.time_int else t.float()
        out = model(t, x) if self.time_first else model(x, t)
        return out.reshape(x.shape)

    def objective(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """The mean squared error on the noise; with snr_gamma each sample's weighted by min(SNR, gamma) / SNR,
        SNR = ab_t / (1 - ab_t) (Min-SNR, Hang et al. 2023): the nearly clean steps, whose noise is faint and
        hard to see yet matters little to the samples, count less."""
        seen = self.predict(self.schedule.noised(x0, t, eps), t)
        if not self.config.snr_gamma:
            return F.mse_loss(seen, eps)
        return ((seen - eps).pow(2).flatten(1).mean(1) * self.weights(self.schedule.alpha_bars[t])).mean()

    def baseline(self) -> dict:
        """A network that learned nothing predicts no noise: its mean squared error is the noise's variance, 1
        (with snr_gamma, each step's weight averaged over the steps, as they are drawn evenly)."""
        if not self.config.snr_gamma:
            return {"loss": 1.0}
        return {"loss": self.weights(self.schedule.alpha_bars).mean().item()}

    def weights(self, ab: torch.Tensor) -> torch.Tensor:
        """Min-SNR's weight of each step's loss, min(SNR, snr_gamma) / SNR, from the share of signal ab_t."""
        snr = ab / (1 - ab)
        return snr.clamp(max=self.config.snr_gamma) / snr

    def training_step(self, batch):
        x0 = batch[0]
        t = torch.randint(0, self.schedule.steps, (len(x0),), generator=self.gen, device=x0.device)
        eps = torch.randn(x0.shape, generator=self.gen, device=x0.device)
        with self.loop.autocast():
            loss = self.objective(x0, t, eps)
        self.loop.optimize(loss)
        if self.ema is not None:
            self.average()
        return {"loss": loss.detach()}

    @torch.no_grad()
    def average(self) -> None:
        """The running average of the weights a step further (its decay grows from 0.1 towards ema_decay over
        the first steps, so early weights fade fast); what samples are made with."""
        self.ema_steps += 1
        decay = min(self.config.ema_decay, (1 + self.ema_steps) / (10 + self.ema_steps))
        averaged = list(self.ema.parameters())
        torch._foreach_lerp_(averaged, list(self.model.parameters()), 1 - decay)
        for a, b in zip(self.ema.buffers(), self.model.buffers()):
            a.copy_(b)

    def probe(self, batch) -> None:
        x0 = batch[0]
        self.predict(x0, torch.zeros(len(x0), dtype=torch.long, device=x0.device))

    def validation(self) -> dict:
        if self.val_tensors is None:
            return {}
        x = self.val_tensors[0]
        gen = torch.Generator().manual_seed(self.config.seed + 1)  # the same t and noise every epoch
        total = 0.0
        with evaluating(self.model):
            for part in x.split(EVAL_BATCH):
                t = torch.randint(0, self.schedule.steps, (len(part),), generator=gen).to(x.device)
                eps = torch.randn(part.shape, generator=gen).to(x.device)
                total += self.objective(part, t, eps).item() * len(part)
        return {"val_loss": total / len(x)}

    def state_dict(self) -> dict:
        state = {"noise": self.gen.get_state()}
        if self.ema is not None:
            state.update(ema=self.ema.state_dict(), ema_steps=self.ema_steps)
        return state

    def load_state_dict(self, state: dict) -> None:
        if "noise" in state:
            self.gen.set_state(state["noise"].cpu() if hasattr(state["noise"], "cpu") else state["noise"])
        if self.ema is not None:  # a run without one (ema_decay 0 then) starts it from its weights
            self.ema.load_state_dict(state["ema"] if "ema" in state else self.model.state_dict())
            self.ema_steps = int(state.get("ema_steps", 0))

    # ---- generating ----------------------------------------------------------------------------------
    def sample_path(self, n: int, seed: int = 0, keep: int = 0, method: str | None = None,
                    steps: int | None = None, eta: float | None = None) -> tuple[torch.Tensor, list]:
        """n new samples by the reverse process from seeded noise (the settings' sampling, DDIM's steps and eta
        unless given), in eval mode, on the CPU, shaped like the data; and `keep` snapshots (step, samples) from
        noise on."""
        method = method or self.config.sampling
        steps = steps or (self.config.ddim_steps if method == "ddim" else None)
        eta = self.config.ddim_eta if eta is None else eta
        gen = torch.Generator().manual_seed(seed)
        parts, paths = [], []
        model = self.ema if self.ema is not None else self.model

        def predict(x, t):
            return self.predict(x, t, model)

        with evaluating(model):
            for i in range(0, n, EVAL_BATCH):
                x, path = reverse(predict, self.schedule, (min(EVAL_BATCH, n - i), *self.input_shape), method,
                                  steps, gen, eta=eta, keep=keep, device=self.loop.device, clip=self.clip)
                parts.append(x.cpu())
                paths.append(path)
        shape = (-1, *self.sample_shape)
        path = [(step, self.unmapped(torch.cat([p[k][1] for p in paths]).reshape(shape)))
                for k, (step, _) in enumerate(paths[0])]
        return self.unmapped(torch.cat(parts).reshape(shape)), path

    def unmapped(self, x: torch.Tensor) -> torch.Tensor:
        """Samples in the data's own range (unit_range trains on it mapped onto [-1, 1])."""
        return x if (self.centre, self.half) == (0.0, 1.0) else x * self.half + self.centre

    def samples(self, n: int = 64, seed: int = 0, method: str | None = None, steps: int | None = None,
                eta: float | None = None) -> torch.Tensor:
        return self.sample_path(n, seed, 0, method, steps, eta)[0]

    def generate(self, count: int, seed: int = 0) -> torch.Tensor:
        return self.samples(count, seed)

    def pictures(self, epoch: int):
        eta = self.config.ddim_eta
        how = f"DDIM in {self.config.ddim_steps} steps" + (f", eta {eta:g}" if eta else "") \
            if self.config.sampling == "ddim" else f"DDPM in {self.schedule.steps} steps"
        if math.prod(self.sample_shape) == 2:  # points: a cloud over the real ones, and its path from noise
            made, path = self.sample_path(500, seed=0, keep=6)
            real = self.unmapped(self.train_tensors[0].reshape(-1, 2).cpu())
            strip = [(f"step {step}", x.reshape(-1, 2)) for step, x in path]
            return (f"Epoch {epoch}: 500 points made from noise by {how}, over the real points in grey; above, the"
                    " reverse process from noise (left) to the points", made.reshape(-1, 2), real, strip)
        try:
            made, path = self.sample_path(32, seed=0, keep=8)
            strip = [(f"step {step}", as_images(x[:4], self.sample_shape).clamp(0, 1)) for step, x in path]
            images = as_images(made, self.sample_shape).clamp(0, 1)
        except ValueError:  # samples that are not pictures
            return None
        return (f"Epoch {epoch}: 32 samples made from noise by {how}; above, four of them along the reverse process"
                " from noise (left) to the sample (right)", images, None, strip)
