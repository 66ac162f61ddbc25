"""Recurrent and attention layers over sequences [N, length, features]."""
from __future__ import annotations

from dataclasses import replace

from .rules import custom, fix_insert, fix_param, need_rank, nn
from .spec import Ctor, LayerSpec, Param, ShapeError

SEQ = "[N, length, features]"


def _seq(x, layer):
    fix = None
    if x.rank == 3 and x.dtype == "float":
        fix = fix_insert("Reshape", f"insert Reshape to [N, {x.shape[0] * x.shape[1]}, {x.shape[2]}]"
                         " (read the image row by row)", shape=[x.shape[0] * x.shape[1], x.shape[2]])
    return need_rank(x, layer, (2,), SEQ, fix=fix)


CELLS = ("RNN", "LSTM", "GRU")
_NONLINEARITY = Param("nonlinearity", "choice", "tanh", "Activation inside the cell", choices=("tanh", "relu"))


def _recurrent(layer, what, cell=None):
    """A recurrent layer: `cell` fixed ("RNN", "LSTM" or "GRU") or None, for a `cell` parameter
    that switches it (the "Recurrent" type; the three fixed ones keep older documents loading)."""
    def shape(p, xs):
        x = _seq(xs[0], layer)
        out = p["hidden_size"] * (2 if p["bidirectional"] else 1)
        y = x.with_shape(x.shape[0], out) if p["returns"] == "sequence" else x.with_shape(out)
        if not p.get("state"):
            return y
        state = x.with_shape(p["num_layers"] * (2 if p["bidirectional"] else 1), p["hidden_size"])
        for port, given in zip(("h", "c"), xs[1:]):
            if given.shape != state.shape or given.dtype != "float":
                raise ShapeError(f"the state '{port}' must be {state} ([N, layers x directions, hidden]), not"
                                 f" {given}", port=port)
        return [y] + [state] * (len(xs) - 1)

    def module(p, xs):
        kind = cell or p["cell"]
        kwargs = {k: p[k] for k in ("hidden_size", "num_layers", "bidirectional", "dropout", "returns")}
        if kind == "RNN":
            kwargs["nonlinearity"] = p["nonlinearity"]
        if p.get("state"):
            kwargs["state"] = True
        return Ctor(custom("Recurrent"), dict(cell=kind, input_size=xs[0].shape[-1], **kwargs))

    def ports(p):
        if not p.get("state"):
            return ("in",), ("out",)
        both = ("h", "c") if (cell or p.get("cell")) == "LSTM" else ("h",)
        return ("in", *both), ("out", *both)

    params = (
        Param("hidden_size", "int", 64, "Size of the hidden state", min=1),
        Param("num_layers", "int", 1, "Stacked recurrent layers", min=1, max=16),
        Param("bidirectional", "bool", False, "Also read the sequence backwards"),
        Param("dropout", "float", 0.0, "Dropout between stacked layers", min=0.0, max=0.99),
        Param("returns", "choice", "sequence", "sequence: every step's output; last: the final state",
              choices=("sequence", "last")),
    )
    if cell is None:
        params = (Param("cell", "choice", "LSTM", "The recurrent cell: RNN (simplest), LSTM (gated, with a"
                        " memory cell) or GRU (gated, lighter)", choices=CELLS),
                  *params,
                  replace(_NONLINEARITY, help=_NONLINEARITY.help + " (the RNN cell only; LSTM and GRU use"
                          " their gates)"),
                  Param("state", "bool", False, "Take the starting state and give the last one: inputs and outputs"
                        " h (and c for LSTM), each [N, layers x directions, hidden], as a language model carries"
                        " its state from one batch to the next"))
    elif cell == "RNN":
        params += (_NONLINEARITY,)
    keys = ("hidden_size", "returns") if cell else ("cell", "hidden_size", "returns")
    return LayerSpec(layer, "Recurrent", what, params=params, shape=shape, module=module,
                     weights="matrix", key_params=keys, ports=ports if cell is None else None)


def _divisor_near(n, k):
    return min((d for d in range(1, n + 1) if n % d == 0), key=lambda d: (abs(d - k), d))


def _heads(x, heads, name):
    if x.shape[-1] % heads:
        raise ShapeError(f"{name} ({heads}) must divide the embedding size ({x.shape[-1]}) of {x}",
                         fix=fix_param(name, _divisor_near(x.shape[-1], heads)))


def _attention_shape(p, xs):
    x = _seq(xs[0], "MultiheadSelfAttention")
    _heads(x, p["num_heads"], "num_heads")
    return x


def _encoder_shape(p, xs):
    x = _seq(xs[0], "TransformerEncoderLayer")
    _heads(x, p["nhead"], "nhead")
    return x


def _posenc_shape(p, xs):
    return _seq(xs[0], "PositionalEncoding")  # any feature size: odd ones drop the last cosine


_DROPOUT = Param("dropout", "float", 0.0, "Dropout on attention weights", min=0.0, max=0.99)

SPECS = [
    _recurrent("RNN", "Simple recurrent layer: a hidden state updated at each step", "RNN"),
    _recurrent("LSTM", "Long short-term memory: gates keep information over long sequences", "LSTM"),
    _recurrent("GRU", "Gated recurrent unit: a lighter LSTM", "GRU"),
    _recurrent("Recurrent", "A recurrent layer whose cell (RNN, LSTM or GRU) is a parameter: switch it"
               " in the inspector and keep the rest"),
    LayerSpec("MultiheadSelfAttention", "Attention",
              "Each position looks at every other position and mixes in what is relevant",
              params=(Param("num_heads", "int", 4, "Attention heads; must divide the embedding size",
                            min=1), _DROPOUT,
                      Param("bias", "bool", True, "Learned biases in the projections"),
                      Param("causal", "bool", False, "Look only at earlier positions")),
              shape=_attention_shape, weights="matrix", key_params=("num_heads",),
              module=lambda p, xs: Ctor(custom("SelfAttention"), dict(
                  embed_dim=xs[0].shape[-1], num_heads=p["num_heads"], dropout=p["dropout"],
                  bias=p["bias"], causal=p["causal"]))),
    LayerSpec("TransformerEncoderLayer", "Attention",
              "Self-attention and a feed-forward block, each with a residual connection and norm",
              params=(Param("nhead", "int", 4, "Attention heads; must divide the embedding size", min=1),
                      Param("dim_feedforward", "int", 256, "Width of the feed-forward block", min=1),
                      Param("dropout", "float", 0.1, "Dropout inside the block", min=0.0, max=0.99),
                      Param("activation", "choice", "relu", "Feed-forward activation",
                            choices=("relu", "gelu")),
                      Param("norm_first", "bool", False, "Normalize before each sub-block (pre-LN)")),
              shape=_encoder_shape, weights="matrix", key_params=("nhead",),
              module=lambda p, xs: Ctor(nn("TransformerEncoderLayer"), dict(
                  d_model=xs[0].shape[-1], batch_first=True, **{k: p[k] for k in (
                      "nhead", "dim_feedforward", "dropout", "activation", "norm_first")}))),
    LayerSpec("PositionalEncoding", "Attention",
              "Adds each position's code to the sequence, so attention knows the order",
              params=(Param("kind", "choice", "sinusoidal", "Fixed sine waves or learned vectors",
                            choices=("sinusoidal", "learned")),),
              shape=_posenc_shape, weights="norm", key_params=("kind",),
              module=lambda p, xs: Ctor(custom("PositionalEncoding"), dict(
                  length=xs[0].shape[0], dim=xs[0].shape[1], learned=p["kind"] == "learned"))),
]
