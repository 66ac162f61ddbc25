"""`netbuilder generate FILE --run RUN --prompt "..." --length N --temperature T [--top-k K] [--seed S]
[--count N] [--out DIR]`: text written by a run of a language model (the next_token recipe), printed, or with
--out written as text_1.txt ... and samples.json (the seed of each, the prompt and the settings); what was done
with characters of the prompt outside its vocabulary, and the seed, go to stderr. Text i of N is written from
seed S + i - 1, so any one of them can be written again alone."""
from __future__ import annotations

import sys
from pathlib import Path

MAX_TEXTS = 1000


def add_text_arguments(parser) -> None:
    parser.add_argument("--prompt", default="", help="the text the network goes on from (default: none)")
    parser.add_argument("--length", type=int, default=400, help="how many characters to write (default 400)")
    parser.add_argument("--temperature", type=float, default=0.8,
                        help="0: always the likeliest character; 1: as the network believes; higher: bolder")
    parser.add_argument("--top-k", type=int, default=0, help="draw only among the k likeliest (0: all)")


def generate_text(graph, document: str, run: str | None, weights: str | None, prompt: str, length: int,
                  temperature: float, top_k: int, seed: int, out=None, count: int = 1, folder: str | None = None) -> int:
    from ..deploy.predict import weights_of
    from ..runs.run import Run
    from ..train.language import GenerationError, load_text_model

    out = out or sys.stdout
    if not isinstance(count, int) or not 1 <= count <= MAX_TEXTS:
        raise GenerationError(f"--count must be a whole number from 1 to {MAX_TEXTS:,} for text, not {count}")
    if not 0 <= seed < 2**63 - MAX_TEXTS:
        raise GenerationError(f"--seed must be a whole number from 0 to 2**63 - {MAX_TEXTS + 1}, not {seed}")
    path = weights_of(document, run, weights, "generating with it")
    found = Run.load(Path(path).parent) if weights is None else None
    model = load_text_model(found.graph() if found is not None else graph, path)
    texts = [model.generate(prompt, length, temperature, top_k, seed + i) for i in range(count)]
    if texts[0].note:
        print(f"note: {texts[0].note}", file=sys.stderr)
    seeds = f"seed {seed}" if count == 1 else f"seeds {seed} to {seed + count - 1}"
    print(f"{path.parent.name}/{path.name}, temperature {temperature:g}, top-k {top_k or 'all'}, {seeds}",
          file=sys.stderr)
    if folder is None:
        for i, made in enumerate(texts):
            if count > 1:
                print(f"--- seed {made.seed}", file=out)
            print(made.prompt + made.text, file=out)
        return 0
    from ..deploy.generate import write_texts

    info = {"run": found.name if found else None, "run_id": found.id if found else None,
            "weights": str(path), "prompt": texts[0].prompt, "length": length, "temperature": temperature,
            "top_k": top_k, "seed": seed}
    written = write_texts(texts, Path(folder), info)
    print(f"{count} text{'s' * (count > 1)} of {length} characters from {path.parent.name}/{path.name}, {seeds}:",
          file=out)
    for file in written:
        print(f"  wrote {file}", file=out)
    return 0
