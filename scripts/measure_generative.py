"""Measure the generative templates over seeds, through the app's path (make_trainer with the template's
settings, one thread, on the CPU), for the README's template table (run from the repository root):

    python scripts/measure_generative.py ring 0,1,2,3,4,5,6,7,8,9       # diffusion ring and GAN ring, one measure
    python scripts/measure_generative.py digits 0,1,2                   # diffusion digits, judged by the CNN
    python scripts/measure_generative.py text 0,1,2,3,4,5,6,7,8,9       # both language models against n-grams

ring: all 8 modes covered (2% of 1,000 samples within 3 std of each centre) and the share of the samples within
3 std of a mode, for the diffusion ring and, on the same measure, the GAN ring. digits: the CNN digits
template, trained here on the digits (its own seed 0), classifies 1,000 samples of diffusion_digits (seed 7 as
in the test), drawn by DDIM in 50 steps and by DDPM through all T: the smallest class share and the mean top
probability of each, and the time DDIM takes over DDPM's (issue 22's sampling comparison). text: each
template's last-epoch validation loss in nats per character against the 3-gram and best (4-gram) n-gram models
fitted on the same training part. Each line gives the CPU seconds the training took."""
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netbuilder.data.synthetic import ring_centres  # noqa: E402
from netbuilder.graph import io  # noqa: E402
from netbuilder.layers import check_node  # noqa: E402
from netbuilder.train import TrainConfig, make_trainer  # noqa: E402
from netbuilder.train.recipes.adversarial import mode_coverage, near_mode_share  # noqa: E402


def load(name):
    return io.load(ROOT / "templates" / f"{name}.json", check_node)


def trained(name, seed, **training):
    graph = load(name)
    config = TrainConfig.from_dict({**graph.meta["training"], **training, "seed": seed, "device": "cpu"})
    trainer, data = make_trainer(graph, config)
    began = time.process_time()
    result = trainer.run()
    assert result.status == "finished", result.message
    return graph, trainer, result, time.process_time() - began


def ring(seeds):
    found = {}
    for name in ("diffusion_ring", "gan_ring"):
        for seed in seeds:
            graph, trainer, _, spent = trained(name, seed)
            q, options = graph.meta["quality"], graph.meta["data"]["options"]
            centres = ring_centres(options.get("classes", 8), options.get("radius", 2.0))
            made = trainer.recipe.samples(1000, seed=123)
            modes = round(8 * mode_coverage(made, centres, q["std"], q.get("min_share", 0.02)))
            near = near_mode_share(made, centres, q["std"])
            found.setdefault(name, []).append((modes, near))
            print(f"{name} seed {seed}: {modes} of 8 modes, {100 * near:.1f}% within 3 std ({spent:.0f} CPU s)",
                  flush=True)
    for name, rows in found.items():
        nears = [n for _, n in rows]
        print(f"{name}: modes {min(m for m, _ in rows)} to {max(m for m, _ in rows)}, within 3 std"
              f" {100 * min(nears):.1f}% to {100 * max(nears):.1f}% ({len(rows)} seeds)")


def judge():
    graph = load("cnn_digits")
    trainer, _ = make_trainer(graph, TrainConfig.from_dict({**graph.meta["training"], "device": "cpu"}))
    trainer.run()
    return trainer.model.eval()


def judged(model, samples):
    with torch.no_grad():
        top, classes = torch.softmax(model(samples), dim=1).max(dim=1)
    return (torch.bincount(classes, minlength=10).float() / len(samples)).min().item(), top.mean().item()


def digits(seeds, methods=(("ddim", 50), ("ddpm", None))):
    """Each seed's template trained once, sampled by DDIM in 50 steps and by DDPM through all T (issue 22's
    comparison): each sampler's classifier numbers beside the time it took, and DDIM's time over DDPM's."""
    model = judge()
    rows, ratios = [], []
    for seed in seeds:
        graph, trainer, _, spent = trained("diffusion_digits", seed)
        said, took = [], {}
        for method, steps in methods:
            began = time.process_time()
            drawn = trainer.recipe.samples(1000, seed=7, method=method, steps=steps)
            took[method] = time.process_time() - began
            smallest, sure = judged(model, drawn)
            rows.append((method, smallest, sure))
            name = f"{method}-{steps or trainer.recipe.schedule.steps}" + \
                (f" (eta {trainer.config.ddim_eta:g})" if method == "ddim" else "")
            said.append(f"{name}: smallest class {100 * smallest:.1f}%, mean top probability {sure:.3f}"
                        f" ({took[method]:.1f} CPU s to sample)")
        ratios.append(took["ddim"] / took["ddpm"])
        print(f"diffusion_digits seed {seed} ({spent:.0f} CPU s, sampling by {trainer.config.sampling} in the"
              f" template): " + "; ".join(said) + f"; DDIM/DDPM time ratio {ratios[-1]:.3f}", flush=True)
    for method, _ in methods:
        mine = [(s, p) for m, s, p in rows if m == method]
        met = sum(s >= 0.05 and p >= 0.9 for s, p in mine)
        print(f"{method}: smallest class {100 * min(s for s, _ in mine):.1f}% to {100 * max(s for s, _ in mine):.1f}%,"
              f" mean top probability {min(p for _, p in mine):.3f} to {max(p for _, p in mine):.3f}"
              f" ({len(mine)} seeds; the bar, every class >= 5% and mean top >= 0.9, met on {met})")
    print(f"DDIM-50 / DDPM time ratio: {min(ratios):.3f} to {max(ratios):.3f}")


def text(seeds):
    from netbuilder.data.dataset import DataSpec
    from netbuilder.data.ngram import ngram_loss
    from netbuilder.data.text import encode_parts, text_of

    spec = DataSpec.from_dict(load("char_lstm_python_docs").meta["data"])
    source, where = text_of(spec.source)
    parts = encode_parts(source, where, spec.val_fraction, spec.test_fraction, spec.options.get("unknown", "replace"))
    train, val, _ = parts.parts
    bars = {n: min(ngram_loss(train, val, n, len(parts.vocabulary), k) for k in (0.01, 0.03, 0.1, 0.3, 1.0))
            for n in (3, 4)}
    print(f"n-gram validation loss: 3-gram {bars[3]:.3f}, 4-gram {bars[4]:.3f} nats/char", flush=True)
    for name in ("char_lstm_python_docs", "char_transformer_python_docs"):
        losses = []
        for seed in seeds:
            graph, _, result, spent = trained(name, seed)
            losses.append(result.epochs[-1].val_loss)
            print(f"{name} seed {seed}: val loss {losses[-1]:.3f} nats/char after {len(result.epochs)} epochs"
                  f" ({spent:.0f} CPU s)", flush=True)
        print(f"{name}: {min(losses):.3f} to {max(losses):.3f} ({len(losses)} seeds; below the 3-gram's"
              f" {bars[3]:.3f} in {sum(v < bars[3] for v in losses)})")


if __name__ == "__main__":
    torch.set_num_threads(1)
    what = sys.argv[1] if len(sys.argv) > 1 else "ring"
    seeds = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "0,1").split(",")]
    {"ring": ring, "digits": digits, "text": text}[what](seeds)
