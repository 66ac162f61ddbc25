"""Denoising diffusion (DDPM, Ho et al. 2020; DDIM, Song et al. 2021) as plain tensor functions, Qt-free and
network-free: the noise schedule, the forward noising in closed form and one step back of each sampler.
The denoising recipe (recipes/denoising.py) trains a network to predict the noise; `reverse` makes samples.

    s = Schedule.make("cosine", 200)
    x_t = s.noised(x0, t, eps)                # sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, in one go
    x, path = reverse(predict, s, (64, 2))    # predict(x_t, t) -> the noise in x_t; DDPM, all T steps
    x, path = reverse(predict, s, (64, 2), "ddim", steps=50)   # DDIM with 50 of them (eta 0: deterministic)

Timesteps are indices 0..T-1: step t takes x_{t} to x_{t+1} in the text's 1-based numbering (x_0 the data).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

SCHEDULES = ("linear", "cosine")


def betas(kind: str, steps: int) -> torch.Tensor:
    """The noise variance added at each of `steps` steps [T] (float64).

    linear: Ho et al.'s 1e-4 .. 0.02 over 1,000 steps, scaled by 1000 / T so that another T noises as far;
    cosine: Nichol and Dhariwal's, from the share of signal left, ab(t) = cos²((t/T + s)/(1 + s) · π/2)."""
    if kind == "linear":
        scale = 1000 / steps
        return torch.linspace(scale * 1e-4, min(scale * 0.02, 0.999), steps, dtype=torch.float64)
    if kind == "cosine":
        s = 0.008
        t = torch.arange(steps + 1, dtype=torch.float64) / steps
        f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
        ab = f / f[0]
        return (1 - ab[1:] / ab[:-1]).clamp(max=0.999)
    raise ValueError(f"noise_schedule must be one of {', '.join(SCHEDULES)}, not {kind!r}")


@dataclass
class Schedule:
    """betas, alphas = 1 - betas and their running products alpha_bars, each [T] (float32, on one device)."""
    betas: torch.Tensor
    alphas: torch.Tensor
    alpha_bars: torch.Tensor

    @classmethod
    def make(cls, kind: str, steps: int, device=None) -> "Schedule":
        b = betas(kind, steps)
        a = 1 - b
        ab = torch.cumprod(a, 0)
        return cls(*(v.float().to(device) for v in (b, a, ab)))

    @property
    def steps(self) -> int:
        return len(self.betas)

    def to(self, device) -> "Schedule":
        return Schedule(self.betas.to(device), self.alphas.to(device), self.alpha_bars.to(device))

    def noised(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """x_t from x0 in one go: sqrt(ab_t) x0 + sqrt(1 - ab_t) eps (t [N] of step indices)."""
        ab = _per_sample(self.alpha_bars[t], x0)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * eps

    def predicted_x0(self, x: torch.Tensor, t: int, eps: torch.Tensor, clip: tuple | None = None) -> torch.Tensor:
        """The clean sample that x_t and its predicted noise point to: (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t),
        kept within `clip` (low, high) when given (the data's range: Ho et al.'s clipping, which keeps a poor
        early guess, divided by a tiny sqrt(ab_t), from throwing the samples far off)."""
        ab = self.alpha_bars[t]
        x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
        return x0 if clip is None else x0.clamp(*clip)

    def ddpm_mean(self, x: torch.Tensor, t: int, eps: torch.Tensor, clip: tuple | None = None) -> torch.Tensor:
        """The mean of x_{t-1} given x_t and the predicted noise: (x_t - beta_t / sqrt(1 - ab_t) eps) / sqrt(alpha_t),
        or with `clip` the posterior's mean from the clipped x0, beta_t sqrt(ab_{t-1}) / (1 - ab_t) x0 +
        (1 - ab_{t-1}) sqrt(alpha_t) / (1 - ab_t) x_t (the same when nothing is clipped)."""
        if clip is None:
            return (x - self.betas[t] / (1 - self.alpha_bars[t]).sqrt() * eps) / self.alphas[t].sqrt()
        ab, before = self.alpha_bars[t], self._before(t)
        x0 = self.predicted_x0(x, t, eps, clip)
        return self.betas[t] * before.sqrt() / (1 - ab) * x0 + (1 - before) * self.alphas[t].sqrt() / (1 - ab) * x

    def _before(self, t: int) -> torch.Tensor:
        return self.alpha_bars[t - 1] if t > 0 else torch.ones((), device=self.alpha_bars.device)

    def ddpm_sigma(self, t: int) -> torch.Tensor:
        """The spread of x_{t-1} around that mean: the posterior's, beta_t (1 - ab_{t-1}) / (1 - ab_t); 0 at t = 0."""
        return (self.betas[t] * (1 - self._before(t)) / (1 - self.alpha_bars[t])).sqrt()

    def ddpm_step(self, x: torch.Tensor, t: int, eps: torch.Tensor, noise: torch.Tensor | None,
                  clip: tuple | None = None) -> torch.Tensor:
        """One DDPM step back from x_t (noise None: the mean path)."""
        mean = self.ddpm_mean(x, t, eps, clip)
        return mean if noise is None or t == 0 else mean + self.ddpm_sigma(t) * noise

    def ddim_step(self, x: torch.Tensor, t: int, before: int, eps: torch.Tensor, noise: torch.Tensor | None,
                  eta: float = 0.0, clip: tuple | None = None) -> torch.Tensor:
        """One DDIM step back from x_t to x_before (before < t; -1: the data): through the predicted x0,
        sqrt(ab_before) x0 + sqrt(1 - ab_before - sigma²) eps' + sigma noise, sigma = eta times DDPM's spread
        between the two steps (eta 1 and consecutive steps: a DDPM step). eps' is the noise the (clipped) x0
        leaves in x_t: the predicted noise when nothing is clipped."""
        ab = self.alpha_bars[t]
        ab_before = self.alpha_bars[before] if before >= 0 else torch.ones((), device=ab.device)
        x0 = self.predicted_x0(x, t, eps, clip)
        if clip is not None:
            eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
        sigma = eta * ((1 - ab_before) / (1 - ab) * (1 - ab / ab_before)).sqrt()
        out = ab_before.sqrt() * x0 + (1 - ab_before - sigma ** 2).clamp(min=0).sqrt() * eps
        return out if noise is None or eta == 0 else out + sigma * noise


def _per_sample(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *([1] * (like.dim() - 1)))


def timesteps(total: int, steps: int | None) -> list[int]:
    """The step indices the sampler visits, from T - 1 down to 0: all of them, or `steps` evenly spaced."""
    if not steps or steps >= total:
        return list(range(total - 1, -1, -1))
    return sorted({round(i * (total - 1) / (steps - 1)) for i in range(steps)} if steps > 1 else {total - 1},
                  reverse=True)


def reverse(predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], schedule: Schedule, shape: tuple,
            method: str = "ddpm", steps: int | None = None, generator: torch.Generator | None = None,
            eta: float = 0.0, keep: int = 0, device=None, mean_path: bool = False,
            clip: tuple | None = None) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor]]]:
    """Samples [shape] by the reverse process from pure noise: DDPM through every step, or DDIM through
    `steps` of them (all when None) with `eta`. predict(x_t, t [N]) gives the noise the network sees in x_t. Returns
    the samples and `keep` snapshots (step, x) evenly along the way, the first pure noise, the last the
    samples. mean_path: no noise added on the way (DDPM's mean path); clip: the range (low, high) the
    predicted clean samples are kept in (see predicted_x0). Noise is drawn on the CPU from
    `generator`, so a seed gives the same samples on any device."""
    def draw():
        return torch.randn(shape, generator=generator).to(device)

    x = draw()
    if method not in ("ddpm", "ddim"):
        raise ValueError(f"sampling must be ddpm or ddim, not {method!r}")
    ddim = method == "ddim"
    visit = timesteps(schedule.steps, steps if ddim else None)
    marks = {round(i * len(visit) / (keep - 1)) for i in range(keep)} if keep > 1 else set()
    path = [(schedule.steps, x.cpu())] if keep else []
    for i, t in enumerate(visit):
        eps = predict(x, torch.full((shape[0],), t, dtype=torch.long, device=device))
        stochastic = not mean_path and (eta > 0 if ddim else t > 0)
        noise = draw() if stochastic else None
        if ddim:
            x = schedule.ddim_step(x, t, visit[i + 1] if i + 1 < len(visit) else -1, eps, noise, eta, clip)
        else:
            x = schedule.ddpm_step(x, t, eps, noise, clip)
        if i + 1 in marks and i + 1 < len(visit):
            path.append((t, x.cpu()))
    if keep:
        path.append((0, x.cpu()))
    return x, path
