"""netbuilder generate FILE --run RUN [--count N] [--seed S] --out DIR: new samples of a generative run (a GAN,
a VAE, a diffusion model), a PNG grid for images and a .npy array, with the seed that made them. The run's
recipe makes them (deploy/generate.py); this module reads the command line and says what it wrote. A language
model's run (a recipe that shows "text") writes text from a prompt instead (generate_text.py): printed, or
text files in --out."""
from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    from .generate_text import add_text_arguments

    p = sub.add_parser("generate", help="new samples of a trained GAN, VAE or diffusion run (a PNG grid, a .npy),"
                                        " or a language model's text")
    p.add_argument("file")
    p.add_argument("--run", help="a run of the document (its name, id or folder)")
    p.add_argument("--weights", help="a language model's checkpoint file instead of a run")
    p.add_argument("--count", type=int, help="how many samples (default 64; for text: how many texts, default 1)")
    p.add_argument("--seed", type=int, help="fixes the noise they are made from (default: a fresh one, printed;"
                                            " 0 for a language model's text)")
    p.add_argument("--out", help="the folder the samples go to (text: text_1.txt ...; without it text is printed)")
    p.add_argument("--trust-code", action="store_true",
                   help="run the Python code of the document's Code layers (only code you have read)")
    add_text_arguments(p)


def writes_text(graph) -> bool:
    """Whether the document's recipe writes text (a language model) rather than samples."""
    from ..train.config import TrainConfig
    from ..train.recipes import recipe_class, recipe_problem

    name = (graph.meta.get("training") or {}).get("recipe", TrainConfig().recipe)
    return not recipe_problem(name) and "text" in recipe_class(name).shows


def generate(args) -> int:
    from ..deploy.generate import generate as make, run_info, write_samples
    from .commands import _trusted

    graph = _trusted(args)
    if graph is None:
        return 2
    if writes_text(graph):
        from .generate_text import generate_text

        return generate_text(graph, args.file, args.run, args.weights, args.prompt, args.length, args.temperature,
                             args.top_k, 0 if args.seed is None else args.seed, count=1 if args.count is None else args.count,
                             folder=args.out)
    if not args.run:
        from ..deploy.predict import run_names

        print("netbuilder generate: --run RUN is needed: the run whose network makes the samples (the document's"
              f" runs: {run_names(args.file)})", file=sys.stderr)
        return 2
    samples, seed, run, kind = make(args.file, args.run, 64 if args.count is None else args.count, args.seed)
    if not args.out:
        print("netbuilder generate: --out DIR is needed: the folder the samples go to", file=sys.stderr)
        return 2
    written = write_samples(samples, Path(args.out), run_info(run, seed), kind == "image")
    shape = "x".join(map(str, samples.shape[1:]))
    print(f"{len(samples)} samples ({shape} each) of the {run.recipe} run '{run.name}', seed {seed}:")
    for path in written:
        print(f"  wrote {path}")
    return 0
