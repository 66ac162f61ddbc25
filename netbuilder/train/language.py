"""Text from a trained character model: one character at a time, each drawn from the network's scores for the
next one (divided by the temperature; only the top k kept when asked), appended, and fed back. Temperature 0
takes the highest score every time (the argmax path). The network sees the last `seq_len` characters, the
window length it was trained on, padded on the left with spaces while the text is shorter. Qt-free: the
window calls it off its own thread, the terminal and the bench directly."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data.text import Vocabulary
from ..errors import UserError

MAX_LENGTH = 100_000
PROMPT, TEMPERATURE, LENGTH = "The ", 0.8, 400  # what is written unless the user says otherwise


class GenerationError(UserError):
    pass


@dataclass
class Generated:
    prompt: str  # as the network read it (unknown characters replaced or left out)
    text: str  # what it wrote after the prompt
    note: str = ""  # what was done with characters outside the vocabulary, or ""
    seed: int | None = None
    temperature: float | None = None
    top_k: int = 0


def next_scores(out: torch.Tensor) -> torch.Tensor:
    """The scores for the character after the window: the last position's of [N, length, V], or [N, V]."""
    return out[:, -1] if out.dim() == 3 else out


def choose(scores: torch.Tensor, temperature: float, top_k: int, generator: torch.Generator | None) -> torch.Tensor:
    """One index per row of scores [N, V]."""
    if temperature <= 0:
        return scores.argmax(dim=-1)
    scores = scores.float() / temperature
    if 0 < top_k < scores.shape[-1]:
        kth = scores.topk(top_k, dim=-1).values[..., -1:]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    return torch.multinomial(torch.softmax(scores, dim=-1), 1, generator=generator).squeeze(-1)


def check_settings(length: int, temperature: float, top_k: int) -> None:
    if not isinstance(length, int) or not 0 <= length <= MAX_LENGTH:
        raise GenerationError(f"the length must be a whole number from 0 to {MAX_LENGTH:,}, not {length!r}")
    if not isinstance(temperature, (int, float)) or not 0 <= temperature <= 10:
        raise GenerationError(f"the temperature must be from 0 (always the likeliest) to 10, not {temperature!r}")
    if not isinstance(top_k, int) or top_k < 0:
        raise GenerationError(f"top-k must be a whole number, 0 for all characters, not {top_k!r}")


@torch.no_grad()
def continue_ids(model: nn.Module, ids: torch.Tensor, length: int, seq_len: int, pad: int, temperature: float = 1.0,
                 top_k: int = 0, generator: torch.Generator | None = None) -> torch.Tensor:
    """`length` indices after `ids` (1-D), each from the network's scores for the window before it."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    window = torch.full((1, seq_len), pad, dtype=torch.long, device=device)
    tail = ids[-seq_len:].to(device)
    if len(tail):
        window[0, -len(tail):] = tail
    made = []
    for _ in range(length):
        chosen = choose(next_scores(model(window)).cpu(), temperature, top_k, generator)
        window = torch.cat([window[:, 1:], chosen.reshape(1, 1).to(device)], dim=1)
        made.append(chosen)
    return torch.cat(made) if made else torch.empty(0, dtype=torch.long)


@dataclass
class TextModel:
    """A character model with what it takes to write: its vocabulary and window length."""
    model: nn.Module
    vocabulary: Vocabulary
    seq_len: int

    def prompt_note(self, prompt: str) -> str:
        strange = self.vocabulary.unknown_in(prompt)
        if not strange:
            return ""
        shown = ", ".join(repr(c) for c in strange[:8]) + (f" and {len(strange) - 8} more" if len(strange) > 8 else "")
        done = "each became \N{REPLACEMENT CHARACTER}" if self.vocabulary.replaces else "they were left out"
        return (f"the prompt has {len(strange)} character{'s' * (len(strange) > 1)} the network never saw in"
                f" training ({shown}): {done}")

    def generate(self, prompt: str, length: int, temperature: float = 1.0, top_k: int = 0,
                 seed: int | None = 0) -> Generated:
        check_settings(length, temperature, top_k)
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        ids = self.vocabulary.encode(prompt)
        pad = self.vocabulary.chars.index(" ") if " " in self.vocabulary.chars else 0
        was_training = self.model.training
        self.model.eval()
        try:
            made = continue_ids(self.model, ids, length, self.seq_len, pad, temperature, top_k, generator)
        finally:
            self.model.train(was_training)
        return Generated(self.vocabulary.decode(ids), self.vocabulary.decode(made), self.prompt_note(prompt), seed,
                         temperature, top_k)


def load_text_model(graph, path) -> TextModel:
    """The language model of a run: the network of `graph` with the checkpoint's weights, and the vocabulary the
    next_token recipe kept in it. GenerationError saying why not (not a checkpoint, not a language model's, another
    network's weights)."""
    from pathlib import Path

    from ..compile import build_model
    from .callbacks.checkpoints import differences

    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - a damaged or foreign file: torch raises many kinds
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GenerationError(f"the checkpoint '{path}' could not be read: {reason}") from None
    recipe_state = state.get("recipe_state") if isinstance(state, dict) else None
    chars = recipe_state.get("vocabulary") if isinstance(recipe_state, dict) else None
    if not isinstance(chars, list) or not chars or not all(isinstance(c, str) and len(c) == 1 for c in chars):
        raise GenerationError(f"the checkpoint '{path}' keeps no vocabulary: it is not a language model's (train"
                              " one with the next_token recipe)")
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    if len(inputs) != 1 or len(inputs[0].params["shape"]) != 1:
        raise GenerationError("a language model has one Input of a window of characters, [N, length]")
    model = build_model(graph)
    diff = differences(state.get("model", {}), model.state_dict())
    if diff:
        raise GenerationError(f"the weights in '{path}' are not this network's ({'; '.join(diff)})")
    model.load_state_dict(state["model"])
    return TextModel(model.eval(), Vocabulary(tuple(chars)), int(inputs[0].params["shape"][0]))
