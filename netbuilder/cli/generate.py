"""netbuilder generate FILE --run RUN [--count N] [--seed S] --out DIR: new samples of a generative run (a GAN,
a VAE, a diffusion model), a PNG grid for images and a .npy array, with the seed that made them. The run's
recipe makes them (deploy/generate.py); this module reads the command line and says what it wrote."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("generate", help="new samples of a trained GAN, VAE or diffusion run: a PNG grid, a .npy")
    p.add_argument("file")
    p.add_argument("--run", required=True, help="a run of the document (its name, id or folder)")
    p.add_argument("--count", type=int, default=64, help="how many samples (default 64)")
    p.add_argument("--seed", type=int, help="fixes the noise they are made from (default: a fresh one, printed)")
    p.add_argument("--out", required=True, help="the folder the samples go to")
    p.add_argument("--trust-code", action="store_true",
                   help="run the Python code of the document's Code layers (only code you have read)")


def generate(args) -> int:
    from ..deploy.generate import generate as make, run_info, write_samples
    from .commands import _load, require_trust

    graph = _load(args.file)
    if graph is None:
        return 2
    require_trust(graph, args.file, args.trust_code)
    samples, seed, run, kind = make(args.file, args.run, args.count, args.seed)
    written = write_samples(samples, Path(args.out), run_info(run, seed), kind == "image")
    shape = "x".join(map(str, samples.shape[1:]))
    print(f"{len(samples)} samples ({shape} each) of the {run.recipe} run '{run.name}', seed {seed}:")
    for path in written:
        print(f"  wrote {path}")
    return 0
