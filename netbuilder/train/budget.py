"""How much memory a run will ask for, estimated before anything is built: weights, their gradients, the
optimizer's state and the activations of a batch. A run that would need more than the share of this
machine's memory the settings allow (memory_limit) is refused with the figures, not left to the allocator."""
from __future__ import annotations

import math
import os

from ..analysis import Analysis
from ..compile.build import TooLarge, param_count
from ..graph.model import Graph
from .config import TrainConfig
from .errors import TrainingError

STATES = {"adam": 2, "adamw": 2, "rmsprop": 2, "sgd": 1}  # tensors of optimizer state per weight (at most)
FLOAT = 4  # bytes


def machine_memory() -> int | None:
    """This machine's memory in bytes, where the system says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def estimate(graph: Graph, config: TrainConfig) -> tuple[int, int]:
    """(parameters, bytes) a training run of the document needs, roughly (an upper estimate)."""
    analysis = Analysis(graph)
    try:
        params = activations = 0
        for node in graph.nodes():
            out = analysis.output(node.id)
            if out is None:
                continue
            try:
                count, _ = param_count(node.type, node.params, analysis.input_list(node.id), graph)
            except TooLarge:
                count = 2**63
            params += count
            activations += math.prod(out.shape)
    finally:
        analysis.close()
    per_weight = FLOAT * (2 + STATES.get(config.optimizer, 2))  # the weight, its gradient, the state
    return params, params * per_weight + activations * config.batch_size * FLOAT * 3  # out, grad, saved


def check(graph: Graph, config: TrainConfig) -> None:
    """Refuse a run that would need more than config.memory_limit of this machine's memory."""
    total = machine_memory()
    if total is None:
        return
    params, need = estimate(graph, config)
    allowed = config.memory_limit * total
    if need > allowed:
        raise TrainingError(f"training this network needs about {_size(need)} ({params:,} parameters, batch"
                            f" {config.batch_size}), more than the {_size(allowed)} allowed"
                            f" ({config.memory_limit:.0%} of this machine's {_size(total)}): make the layers"
                            " smaller or the batch smaller, or raise 'memory limit' in Settings")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB", "EB"):
        if n < 1000 or unit == "EB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:.1f} EB"
