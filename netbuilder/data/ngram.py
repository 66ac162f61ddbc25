"""A character n-gram model, the baseline a language model must beat: counts of each character after each
n - 1 characters of the training part, add-k smoothed, P(c | context) = (count(context, c) + k) /
(count(context) + k V). Its loss on another part is the mean -ln P per character (nats per character)."""
from __future__ import annotations

import torch


def _codes(ids: torch.Tensor, n: int, vocab: int) -> torch.Tensor:
    """Each run of n consecutive indices as one number (base `vocab`): [len - n + 1]."""
    codes = torch.zeros(len(ids) - n + 1, dtype=torch.long)
    for j in range(n):
        codes = codes * vocab + ids[j:len(ids) - n + 1 + j]
    return codes


def _counts(codes: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """How often each query occurs among `codes`."""
    values, counts = torch.unique(codes, return_counts=True)
    where = torch.searchsorted(values, queries).clamp(max=len(values) - 1)
    return torch.where(values[where] == queries, counts[where], torch.zeros_like(queries))


def ngram_loss(train: torch.Tensor, other: torch.Tensor, n: int, vocab: int, k: float = 0.1) -> float:
    """Nats per character of `other` (its characters from the n-th on) under the n-gram model of `train`.
    n = 1 is the unigram model (character frequencies)."""
    if n < 1 or vocab < 1 or k <= 0:
        raise ValueError("n and vocab must be at least 1, and k above 0")
    if n > 1 and vocab ** n >= 2 ** 62:
        raise ValueError(f"a {n}-gram over {vocab} characters does not fit in 64-bit codes")
    train, other = train.long(), other.long()
    full = _counts(_codes(train, n, vocab), _codes(other, n, vocab)).double()
    if n == 1:
        context = torch.full_like(full, float(len(train)))
    else:  # a context that ends the training part is followed by nothing: not counted
        context = _counts(_codes(train[:-1], n - 1, vocab), _codes(other, n, vocab) // vocab).double()
    probability = (full + k) / (context + k * vocab)
    return float(-probability.log().mean())


def best_ngram(train: torch.Tensor, other: torch.Tensor, vocab: int, orders=(1, 2, 3, 4, 5),
               ks=(0.01, 0.03, 0.1, 0.3, 1.0)) -> tuple[float, int, float]:
    """(loss, n, k) of the best n-gram over the orders and smoothings given."""
    return min((ngram_loss(train, other, n, vocab, k), n, k) for n in orders for k in ks)

