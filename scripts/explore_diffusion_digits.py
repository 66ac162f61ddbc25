"""Experiments on the diffusion digits template toward issue 22's bar (the CNN digits template classifies 1,000
samples: every class >= 5%, mean top probability >= 0.9), one line of JSON per seed (run from the repository
root, one thread):

    python scripts/explore_diffusion_digits.py epochs=200 snr_gamma=0 seeds=0,1 methods=ddim:50,ddpm

Keys: epochs, batch_size, diffusion_steps, ddim_steps, lr, ema_decay, snr_gamma, sampling, noise_schedule,
schedule, unit_range (1 or 0) (the template's training settings, its own unless given); ch (the U-Net's
channels) and every=0 (the step added once per stage, not after every GroupNorm), the options of
scripts/make_diffusion_templates.py; seeds; methods (samplers to judge, method[:steps[:eta]], ddim:50:1 for DDIM in
50 steps with eta 1; ddpmbeta: DDPM's reverse steps with spread sqrt(beta_t) instead of the posterior's
beta-tilde); predict=x0|v, patched in here:
the network's Output read as the clean sample or as v = sqrt(ab) eps - sqrt(1 - ab) x0, trained on that target.
The judge is trained as the test trains it (cnn_digits, its seed 0); samples are seed 7, as in the test.
scripts/measure_generative.py digits measures the template itself."""
import importlib.util
import json
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netbuilder.train import TrainConfig, make_trainer  # noqa: E402
from netbuilder.train.diffusion import Schedule  # noqa: E402
from netbuilder.train.recipes import denoising  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from measure_generative import judge, judged  # noqa: E402

INTS = ("epochs", "batch_size", "diffusion_steps", "ddim_steps")
FLOATS = ("lr", "ema_decay", "snr_gamma")
WORDS = ("sampling", "noise_schedule", "schedule")
BOOLS = ("unit_range",)


POSTERIOR = Schedule.ddpm_sigma


def beta_sigma(self, t):  # DDPM's larger spread, sqrt(beta_t), instead of the posterior's
    return self.betas[t].sqrt()


def patch(target: str) -> None:
    Recipe = denoising.Denoising
    if target == "eps":
        return
    raw = Recipe.predict

    def parts(self, t, like):
        ab = self.schedule.alpha_bars[t.long()].reshape(-1, *([1] * (like.dim() - 1)))
        return ab.sqrt(), (1 - ab).sqrt()

    def predict(self, x, t, model=None):  # the noise the Output implies, for the samplers
        out = raw(self, x, t, model)
        a, s = parts(self, t, x)
        return (x - a * out) / s if target == "x0" else s * x + a * out

    def objective(self, x0, t, eps):
        a, s = parts(self, t, x0)
        out = raw(self, self.schedule.noised(x0, t, eps), t)
        return F.mse_loss(out, x0 if target == "x0" else a * eps - s * x0)

    Recipe.predict, Recipe.objective = predict, objective


def main(opts: dict) -> None:
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("make", ROOT / "scripts" / "make_diffusion_templates.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    graph = make.diffusion_digits(ch=int(opts.get("ch", make.CH)), every=opts.get("every", "1") == "1")
    training = dict(graph.meta["training"])
    training.update({k: int(v) for k, v in opts.items() if k in INTS})
    training.update({k: float(v) for k, v in opts.items() if k in FLOATS})
    training.update({k: v for k, v in opts.items() if k in WORDS})
    training.update({k: opts[k] == "1" for k in BOOLS if k in opts})
    patch(opts.get("predict", "eps"))
    model = judge()
    for seed in [int(s) for s in opts.get("seeds", "0").split(",")]:
        trainer, _ = make_trainer(graph, TrainConfig.from_dict({**training, "seed": seed, "device": "cpu"}))
        began = time.process_time()
        result = trainer.run()
        found = {"opts": opts, "seed": seed, "train_cpu_s": round(time.process_time() - began),
                 "val_loss": round(result.epochs[-1].metrics["val_loss"], 4)}
        for method in opts.get("methods", "ddim,ddpm").split(","):
            name, _, steps = method.partition(":")
            steps, _, eta = steps.partition(":")  # ddim:50:1: DDIM in 50 steps with eta 1
            Schedule.ddpm_sigma = beta_sigma if name == "ddpmbeta" else POSTERIOR
            name = "ddpm" if name == "ddpmbeta" else name
            drawn = trainer.recipe.samples(1000, seed=7, method=name, steps=int(steps) if steps else None,
                                           eta=float(eta or 0))
            smallest, sure = judged(model, drawn)
            found[method] = {"smallest_class": round(smallest, 3), "mean_top_probability": round(sure, 3)}
        print(json.dumps(found), flush=True)


if __name__ == "__main__":
    main(dict(a.split("=", 1) for a in sys.argv[1:]))
