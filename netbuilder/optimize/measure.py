"""Each version of a network measured against the original on the run's test set: its score as the run's recipe
scores it (accuracy, or the loss), its file's size, its non-zero parameters, its latency (per sample at batch 1
and per batch of 64: the median of repetitions taken in turn with the others, in one process, on a stated number
of threads) and how often it gives the original's answer. Latency is measured, never inferred from operation
counts."""
from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

BATCH = 64


@dataclass
class Variant:
    name: str  # "original", "int8 (static)", "pruned 50%", ...
    module: nn.Module  # a network, or an ONNX Runtime session called like one
    file: Path  # what is deployed: a state dict, an ONNX file
    runtime: str  # "PyTorch" or "ONNX Runtime"
    parameters: int  # the non-zero numbers in its weights


@dataclass
class Row:
    variant: Variant
    accuracy: float | None  # None: a regression, where the loss says how good it is
    loss: float
    size: int  # bytes on disk
    latency_1: float  # seconds per sample at batch 1 (median)
    latency_64: float  # seconds per batch of 64 (median)
    agreement: float | None  # share of test samples given the original's class (classification)
    difference: float | None  # mean |output - original's output| (regression)
    evaluation: object = None  # the recipe's Evaluation (confusion matrix, misclassified samples)
    predictions: list = field(default_factory=list)


def torch_parameters(model: nn.Module) -> int:
    return sum(int(torch.count_nonzero(p)) for p in model.state_dict().values() if p.is_floating_point())


@contextmanager
def threads_of_torch(threads: int):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def latencies(variants: list[Variant], x: torch.Tensor, repeats: int = 20,
              calls: int = 10) -> list[tuple[float, float]]:
    """(seconds per sample at batch 1, seconds per batch of 64) of each variant: the median of `repeats`
    repetitions; in each repetition every variant runs `calls` single samples and `calls` batches in turn (the
    order rotated from one repetition to the next), so a slow moment of the machine falls on all of them."""
    one = x[:1].contiguous()
    batch = x.repeat((BATCH + len(x) - 1) // len(x), *[1] * (x.dim() - 1))[:BATCH].contiguous()
    times = [([], []) for _ in variants]
    with torch.inference_mode():
        for v in variants:  # warm-up: first calls allocate and plan
            for _ in range(3):
                v.module(one), v.module(batch)
        for r in range(repeats):
            for i in [(r + k) % len(variants) for k in range(len(variants))]:
                run = variants[i].module
                start = time.perf_counter()
                for _ in range(calls):
                    run(one)
                middle = time.perf_counter()
                for _ in range(calls):
                    run(batch)
                end = time.perf_counter()
                times[i][0].append((middle - start) / calls)
                times[i][1].append((end - middle) / calls)
    return [(statistics.median(a), statistics.median(b)) for a, b in times]


def outputs(module: nn.Module, x: torch.Tensor, size: int = 256) -> torch.Tensor:
    with torch.inference_mode():
        return torch.cat([module(x[i:i + size]) for i in range(0, len(x), size)])


def compare(variants: list[Variant], recipe, test: tuple, repeats: int = 20, calls: int = 10) -> list[Row]:
    """A row per variant (the first is the original), scored by `recipe` (the run's, its `model` swapped for
    each variant in turn) on `test` (inputs, labels)."""
    x, y = test
    reference = outputs(variants[0].module, x)
    classifies = reference.dim() == 2 and reference.shape[1] > 1
    speeds = latencies(variants, x, repeats, calls)
    kept = recipe.model
    rows = []
    try:
        for variant, (one, batch) in zip(variants, speeds):
            recipe.model = variant.module
            found = recipe.evaluate((x, y), limit=BATCH)
            got = outputs(variant.module, x)
            agreement = float((got.argmax(1) == reference.argmax(1)).float().mean()) if classifies else None
            difference = None if classifies else float((got - reference).abs().mean())
            rows.append(Row(variant, found.accuracy, found.loss, variant.file.stat().st_size, one, batch, agreement,
                            difference, found, got.argmax(1).tolist() if classifies else []))
    finally:
        recipe.model = kept
    return rows


def table(rows: list[Row], threads: int, torch_threads: int | None = None) -> str:
    """The rows as a text table, and how the latency was measured."""
    base = rows[0]
    header = ["version", "runtime", "accuracy" if base.accuracy is not None else "test loss", "size",
              "parameters", "ms at batch 1", f"ms per batch of {BATCH}", "x faster at 64",
              "agrees" if base.agreement is not None else "mean |diff|"]
    lines = []
    first = {}  # the original in each runtime: an int8 version is compared within ONNX Runtime
    for r in rows:
        first.setdefault(r.variant.runtime, r)
        score = f"{r.accuracy:.1%}" if r.accuracy is not None else f"{r.loss:.4g}"
        same = f"{r.agreement:.1%}" if r.agreement is not None else f"{r.difference:.3g}"
        faster = first[r.variant.runtime].latency_64 / r.latency_64
        lines.append([r.variant.name, r.variant.runtime, score, _bytes(r.size), f"{r.variant.parameters:,}",
                      f"{r.latency_1 * 1e3:.3f}", f"{r.latency_64 * 1e3:.3f}", f"{faster:.2f}", same])
    widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
    text = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
            for row in [header] + lines]
    text.append("x faster: against the original in the same runtime")
    if torch_threads in (None, threads):
        how = f"{threads} thread(s) each for PyTorch and ONNX Runtime"
    else:
        how = f"PyTorch on {torch_threads} thread(s) (the process's count, shared with training: left as it was),"\
              f" ONNX Runtime on {threads}"
    text.append(f"latency: median of interleaved repetitions, one process, {how}; {base.evaluation.samples} test"
                " samples")
    return "\n".join(text)


def _bytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"
