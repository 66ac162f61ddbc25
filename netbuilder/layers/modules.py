"""The few torch modules that torch.nn lacks in the form a node needs.

Exported code copies these classes' source, so keep them short, standalone and readable.
"""
import math

import torch
from torch import nn


class Reshape(nn.Module):
    """Reshape each sample; the batch dimension is kept."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class Permute(nn.Module):
    """Reorder the dimensions after the batch (numbered from 1)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x):
        return x.permute(0, *self.dims)


class GlobalAvgPool(nn.Module):
    """Average over every dimension after the channels: [N, C, ...] -> [N, C]."""

    def forward(self, x):
        return x.flatten(2).mean(dim=2)


class Recurrent(nn.Module):
    """An RNN, LSTM or GRU over [N, length, features] (batch first).

    returns="sequence" gives every step's output; "last" gives the final hidden state
    of the top layer (both directions joined when bidirectional).
    """

    def __init__(self, cell, input_size, hidden_size, num_layers=1, bidirectional=False,
                 dropout=0.0, returns="sequence", nonlinearity="tanh", state=False):
        super().__init__()
        kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=True,
                      dropout=dropout if num_layers > 1 else 0.0)
        if cell == "RNN":
            kwargs["nonlinearity"] = nonlinearity
        self.rnn = getattr(nn, cell)(input_size, hidden_size, **kwargs)
        self.returns = returns
        self.directions = 2 if bidirectional else 1
        self.state = state  # take the starting state and give the last: [N, layers x directions, hidden] each

    def forward(self, x, *state):
        given = [s.transpose(0, 1).contiguous() for s in state]  # torch keeps the batch second in a state
        out, hidden = self.rnn(x, (given[0] if len(given) == 1 else tuple(given)) if given else None)
        if self.state:
            hidden = hidden if isinstance(hidden, tuple) else (hidden,)
            return (out if self.returns == "sequence" else self._last(hidden, x),
                    *(h.transpose(0, 1) for h in hidden))
        if self.returns == "sequence":
            return out
        return self._last(hidden, x)

    def _last(self, hidden, x):
        if isinstance(hidden, tuple):  # LSTM: (h, c)
            hidden = hidden[0]
        last = hidden[-self.directions:]  # [directions, N, hidden]
        return last.transpose(0, 1).reshape(x.shape[0], -1)


class SelfAttention(nn.Module):
    """Multi-head self-attention over [N, length, embed] (query = key = value = x)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, causal=False):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout, bias=bias,
                                          batch_first=True)
        self.causal = causal

    def forward(self, x):
        mask = None
        if self.causal:
            n = x.shape[1]
            mask = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
        out, _ = self.attn(x, x, x, attn_mask=mask, need_weights=False)
        return out


class PositionalEncoding(nn.Module):
    """Adds position information to [N, length, dim]: fixed sinusoids or learned vectors."""

    def __init__(self, length, dim, learned=False):
        super().__init__()
        if learned:
            self.pe = nn.Parameter(torch.zeros(1, length, dim).normal_(std=0.02))
        else:
            position = torch.arange(length).unsqueeze(1)
            freq = torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
            pe = torch.zeros(1, length, dim)
            pe[0, :, 0::2] = torch.sin(position * freq)
            pe[0, :, 1::2] = torch.cos(position * freq[: dim // 2])
            self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe


class Reparameterize(nn.Module):
    """A VAE's bottleneck: [N, features] -> z [N, latent].

    Two linear heads give the mean and the log-variance of z. Training samples
    z = mean + eps * exp(logvar / 2), eps ~ N(0, 1); evaluation returns the mean
    (or, with evaluating="mean + std", the mean plus one standard deviation, as
    MONAI's VarAutoEncoder does by default). `self.kl` keeps the batch's KL
    divergence from N(0, 1) (summed over the latent values, averaged over the
    batch); add kl_weight * kl to the loss.
    """

    def __init__(self, in_features, latent, evaluating="mean"):
        super().__init__()
        self.mean = nn.Linear(in_features, latent)
        self.logvar = nn.Linear(in_features, latent)
        self.evaluating = evaluating
        self.kl = None

    def forward(self, x):
        mean, logvar = self.mean(x), self.logvar(x)
        self.kl = (-0.5 * (1 + logvar - mean.pow(2) - logvar.exp()).sum(dim=1)).mean()
        if not self.training:
            return mean if self.evaluating == "mean" else mean + torch.exp(0.5 * logvar)
        return mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)


class Scale(nn.Module):
    """y = x * scale + shift, by constants (0.5 * logvar, x / 255, 1 - x)."""

    def __init__(self, scale=1.0, shift=0.0):
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x):
        return x * self.scale + self.shift


class Elementwise(nn.Module):
    """One of torch's elementwise functions (exp, log, sqrt, abs) applied to every value."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return getattr(torch, self.fn)(x)


class Clamp(nn.Module):
    """Values below `min` become `min`, above `max` become `max` (None: no limit on that side)."""

    def __init__(self, min=None, max=None):
        super().__init__()
        self.min, self.max = min, max

    def forward(self, x):
        return x.clamp(self.min, self.max)


class TimestepEmbedding(nn.Module):
    """A diffusion step t [N, 1] as a vector [N, dim]: sines and cosines of t at dim / 2 frequencies from 1
    down to 1 / max_period (a Transformer's positional encoding of t), so nearby steps get nearby vectors."""

    def __init__(self, dim, max_period=10000.0):
        super().__init__()
        self.dim, self.max_period = dim, max_period
        half = dim // 2
        self.register_buffer("freqs", torch.exp(-math.log(max_period) * torch.arange(half) / half),
                             persistent=False)

    def forward(self, t):
        angles = t.float().reshape(t.shape[0], 1) * self.freqs
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
