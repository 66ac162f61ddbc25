"""`netbuilder generate FILE --run RUN --prompt "..." --length N --temperature T [--top-k K] [--seed S]`: text
written by a run of a language model (the next_token recipe), printed; what was done with characters of the
prompt outside its vocabulary, and the seed, go to stderr."""
from __future__ import annotations

import sys
from pathlib import Path


def add_text_arguments(parser) -> None:
    parser.add_argument("--prompt", default="", help="the text the network goes on from (default: none)")
    parser.add_argument("--length", type=int, default=400, help="how many characters to write (default 400)")
    parser.add_argument("--temperature", type=float, default=0.8,
                        help="0: always the likeliest character; 1: as the network believes; higher: bolder")
    parser.add_argument("--top-k", type=int, default=0, help="draw only among the k likeliest (0: all)")


def generate_text(graph, document: str, run: str | None, weights: str | None, prompt: str, length: int,
                  temperature: float, top_k: int, seed: int, out=None) -> int:
    from ..deploy.predict import weights_of
    from ..runs.run import Run
    from ..train.language import load_text_model

    out = out or sys.stdout
    path = weights_of(document, run, weights, "generating with it")
    found = Run.load(Path(path).parent) if weights is None else None
    model = load_text_model(found.graph() if found is not None else graph, path)
    made = model.generate(prompt, length, temperature, top_k, seed)
    if made.note:
        print(f"note: {made.note}", file=sys.stderr)
    print(f"{path.parent.name}/{path.name}, temperature {temperature:g}, top-k {top_k or 'all'}, seed {seed}",
          file=sys.stderr)
    print(made.prompt + made.text, file=out)
    return 0
