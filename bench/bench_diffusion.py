"""The denoising recipe against hand-written DDPM (issue 22), on the diffusion_digits template's U-Net:
  - training: netbuilder's Trainer with the denoising recipe (gradient monitoring on, a callback standing in
    for the window) against a plain loop of DDPM steps written out by hand (random step, noise, x_t in closed
    form, MSE on the noise, Adam), same network, data and batch: samples/s ratio, target at least 0.97;
  - sampling: DDIM with 50 steps (the template's ddim_eta) against DDPM through all T steps on the same model:
    time ratio (the model here trains 2 epochs; each sampler's classifier numbers beside the ratio, on the
    template trained in full: scripts/measure_generative.py digits).
Times are CPU seconds of this thread (a busy machine's stolen time is not counted), one thread.
Run: .venv/bin/python bench/bench_diffusion.py
"""
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from netbuilder import build_model
from netbuilder.data import digits
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.train import Callback, TrainConfig, Trainer

REPEATS = 9
TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "diffusion_digits.json"


class Channel(Callback):
    """Stands in for the window's channel: keeps every step and hands them over in batches."""

    def __init__(self):
        self.pending, self.last = [], 0.0

    def on_step_end(self, trainer, step):
        self.pending.append(step)
        if time.perf_counter() - self.last >= 0.04:
            self.last, self.pending = time.perf_counter(), []


def plain(model, x, config, alpha_bars) -> None:
    """DDPM training written out by hand: the loop of Ho et al.'s Algorithm 1."""
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(0)
    T, bs = len(alpha_bars), config.batch_size
    for _ in range(config.epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), bs):
            x0 = x[order[i:i + bs]]
            t = torch.randint(0, T, (len(x0),), generator=gen)
            eps = torch.randn(x0.shape, generator=gen)
            ab = alpha_bars[t].reshape(-1, 1, 1, 1)
            loss = F.mse_loss(model(t.reshape(-1, 1), ab.sqrt() * x0 + (1 - ab).sqrt() * eps), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()


def timed(fn) -> float:
    t = time.thread_time()
    fn()
    return time.thread_time() - t


def main() -> int:
    torch.set_num_threads(1)
    graph = load(TEMPLATE, check_node)
    (x, _), _ = digits()
    config = TrainConfig.from_dict({**graph.meta["training"], "epochs": 2, "schedule": "none", "device": "cpu"})
    ratios = []
    for repeat in range(REPEATS):
        trainer = Trainer(graph, config, (x, torch.zeros(len(x))), None, callbacks=[Channel()])
        model = build_model(graph)
        ab = trainer.recipe.schedule.alpha_bars
        if repeat % 2:  # alternate the order: neither side always runs on a warmer cache
            t_plain, t_trainer = timed(lambda: plain(model, x, config, ab)), timed(trainer.run)
        else:
            t_trainer, t_plain = timed(trainer.run), timed(lambda: plain(model, x, config, ab))
        ratios.append(t_plain / t_trainer)
    ratio = statistics.median(ratios)
    q = statistics.quantiles(ratios, n=4)
    print(f"training, U-Net of diffusion_digits, batch {config.batch_size}, {config.epochs} epochs of {len(x)} digits,"
          f" median of {REPEATS} interleaved runs")
    print(f"  samples/s, denoising recipe / hand-written DDPM: {ratio:.3f} (quartiles {q[0]:.3f} to {q[2]:.3f})")

    recipe = trainer.recipe
    n, T = 256, config.diffusion_steps
    ddpm = timed(lambda: recipe.samples(n, seed=1, method="ddpm"))
    ddim = timed(lambda: recipe.samples(n, seed=1, method="ddim", steps=50))  # the template's ddim_eta
    print(f"sampling {n} digits: DDPM through {T} steps {ddpm:.2f} s, DDIM through 50 steps (eta"
          f" {config.ddim_eta:g}) {ddim:.2f} s: DDIM-50 / DDPM-{T} time ratio {ddim / ddpm:.3f}"
          f" ({ddpm / ddim:.1f}x faster)")
    ok = ratio >= 0.97
    print(f"{'PASS' if ok else 'FAIL'}: training ratio {ratio:.3f} (target >= 0.97)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
