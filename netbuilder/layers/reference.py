"""The layer reference: each catalog layer's help and parameters, with what it computes (a formula),
how its output's shape follows from its input's (the shape rule) and an example worked out by the
catalog's own shape rule, so the example cannot drift from what the editor shows on the wires."""
from __future__ import annotations

from dataclasses import dataclass

from . import CATALOG, CATEGORIES
from .spec import LayerSpec, ShapeError, TensorType

I = TensorType  # noqa: E741 (short: the examples below are many)

# type: (formula, shape rule, example inputs (shapes without the batch))
NOTES: dict[str, tuple[str, str, tuple[TensorType, ...]]] = {
    "Input": ("x = one batch of samples from the dataset",
              "[N, *shape]; an int Input holds indices in [0, vocab_size)", ()),
    "Output": ("y = x (the network's result, compared with the target by the loss)", "[N, ...] → [N, ...] unchanged",
               (I((10,)),)),
    "Linear": ("y = x Wᵀ + b, W of size out_features × in_features",
               "[N, *, in_features] → [N, *, out_features]; an image needs a Flatten first", (I((256,)),)),
    "Dropout": ("y = x · m / (1 − p), m ~ Bernoulli(1 − p) while training; y = x when evaluating",
                "unchanged", (I((64,)),)),
    "Dropout2d": ("as Dropout, with one m per channel: whole feature maps are zeroed", "[N, C, H, W] unchanged",
                  (I((16, 8, 8)),)),
    "Embedding": ("y = E[x], E of size num_embeddings × embedding_dim (a row per index)",
                  "[N, *] (int) → [N, *, embedding_dim]", (I((8,), "int", 100),)),
    "Flatten": ("y = x with dims start_dim..end_dim joined into one", "[N, C, H, W] → [N, C·H·W] with the defaults",
                (I((16, 4, 4)),)),
    "Reshape": ("y = x.reshape(N, *shape)", "[N, *] → [N, *shape], the same number of values (one −1 inferred)",
                (I((784,)),)),
    "Permute": ("y = x.permute(0, *dims)", "[N, d₁, d₂, …] → the dims in the given order", (I((16, 30)),)),
    "Conv1d": ("y[c] = b[c] + Σₖ W[c, k] ⋆ x[k], a 1-D cross-correlation per output channel",
               "[N, C_in, L] → [N, out_channels, ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1]", (I((1, 30)),)),
    "Conv2d": ("y[c] = b[c] + Σₖ W[c, k] ⋆ x[k], a 2-D cross-correlation per output channel",
               "[N, C_in, H, W] → [N, out_channels, H′, W′], H′ = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (W′ alike)",
               (I((1, 8, 8)),)),
    "ConvTranspose2d": ("the gradient of a Conv2d: each input value spreads a k × k filter over the output",
                        "[N, C_in, H, W] → [N, out_channels, (H − 1)s − 2p + k + output_padding, …]",
                        (I((16, 4, 4)),)),
    "MaxPool1d": ("y[i] = max of x over the window i·s … i·s + k − 1",
                  "[N, C, L] → [N, C, ⌊(L + 2p − k)/s⌋ + 1]", (I((16, 30)),)),
    "AvgPool1d": ("y[i] = mean of x over the window i·s … i·s + k − 1",
                  "[N, C, L] → [N, C, ⌊(L + 2p − k)/s⌋ + 1]", (I((16, 30)),)),
    "MaxPool2d": ("y[i, j] = max of x over the k × k window at (i·s, j·s)",
                  "[N, C, H, W] → [N, C, ⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1]", (I((16, 8, 8)),)),
    "AvgPool2d": ("y[i, j] = mean of x over the k × k window at (i·s, j·s)",
                  "[N, C, H, W] → [N, C, ⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1]", (I((16, 8, 8)),)),
    "AdaptiveAvgPool2d": ("y[i, j] = mean of the region of x that maps to cell (i, j) of the output",
                          "[N, C, H, W] → [N, C, output_size, output_size]", (I((16, 7, 7)),)),
    "GlobalAvgPool": ("y[c] = mean of x[c] over every position", "[N, C, …] → [N, C]", (I((16, 4, 4)),)),
    "Upsample": ("y = x enlarged scale_factor times (nearest: repeated; linear modes: interpolated)",
                 "[N, C, H, W] → [N, C, H·scale_factor, W·scale_factor]", (I((16, 4, 4)),)),
    "AdaptiveMaxPool2d": ("y[i, j] = max of the region of x that maps to cell (i, j) of the output",
                          "[N, C, H, W] → [N, C, output_size, output_size]", (I((16, 7, 7)),)),
    "PixelShuffle": ("y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]", "[N, C·r², H, W] → [N, C, H·r, W·r]",
                     (I((16, 4, 4)),)),
    "PixelUnshuffle": ("the inverse of PixelShuffle: each r × r patch becomes r² channels",
                       "[N, C, H·r, W·r] → [N, C·r², H, W]", (I((4, 8, 8)),)),
    "ZeroPad1d": ("y = x with zeros added before and after", "[N, C, L] → [N, C, L + left + right]", (I((4, 10)),)),
    "ZeroPad2d": ("y = x with zeros added around it", "[N, C, H, W] → [N, C, H + top + bottom, W + left + right]",
                  (I((4, 8, 8)),)),
    "ReflectionPad1d": ("y = x with its values mirrored at each end (the edge itself not repeated)",
                        "[N, C, L] → [N, C, L + left + right]; each side less than L", (I((4, 10)),)),
    "ReflectionPad2d": ("y = x with its values mirrored at each border (the edge itself not repeated)",
                        "[N, C, H, W] → [N, C, H + top + bottom, W + left + right]; each side less than its dim",
                        (I((4, 8, 8)),)),
    "ReplicationPad1d": ("y = x with its edge values repeated at each end", "[N, C, L] → [N, C, L + left + right]",
                         (I((4, 10)),)),
    "ReplicationPad2d": ("y = x with its edge values repeated around it",
                         "[N, C, H, W] → [N, C, H + top + bottom, W + left + right]", (I((4, 8, 8)),)),
    "InstanceNorm1d": ("y = (x − μ) / √(σ² + eps) (· γ + β with affine), μ and σ² per sample and channel over the"
                       " length", "[N, C, L] unchanged", (I((16, 30)),)),
    "InstanceNorm2d": ("y = (x − μ) / √(σ² + eps) (· γ + β with affine), μ and σ² per sample and channel over its"
                       " positions", "[N, C, H, W] unchanged", (I((16, 8, 8)),)),
    "GroupNorm": ("y = γ (x − μ) / √(σ² + eps) + β, μ and σ² per sample over each group of C / num_groups channels"
                  " and their positions", "[N, C, ...] unchanged; num_groups divides C", (I((16, 8, 8)),)),
    "PReLU": ("y = x if x > 0, else a · x, a learned (one a, or one per channel)", "unchanged", (I((64,)),)),
    "Scale": ("y = scale · x + shift", "unchanged", (I((64,)),)),
    "Exp": ("y = eˣ", "unchanged", (I((64,)),)),
    "Log": ("y = ln x", "unchanged", (I((64,)),)),
    "Sqrt": ("y = √x", "unchanged", (I((64,)),)),
    "Abs": ("y = |x|", "unchanged", (I((64,)),)),
    "Clamp": ("y = min(max(x, min), max) (only the limits chosen)", "unchanged", (I((64,)),)),
    "BatchNorm1d": ("y = γ (x − μ_B) / √(σ²_B + eps) + β, μ_B and σ²_B over the batch (running ones when evaluating)",
                    "[N, C] or [N, C, L] unchanged", (I((64,)),)),
    "BatchNorm2d": ("y = γ (x − μ_B) / √(σ²_B + eps) + β per channel, over the batch and all positions",
                    "[N, C, H, W] unchanged", (I((16, 8, 8)),)),
    "LayerNorm": ("y = γ (x − μ) / √(σ² + eps) + β, μ and σ² over each sample's last dimension",
                  "unchanged", (I((8, 32)),)),
    "ReLU": ("y = max(0, x)", "unchanged", (I((64,)),)),
    "LeakyReLU": ("y = x if x > 0, else negative_slope · x", "unchanged", (I((64,)),)),
    "ELU": ("y = x if x > 0, else alpha · (eˣ − 1)", "unchanged", (I((64,)),)),
    "GELU": ("y = x · Φ(x), Φ the standard normal's distribution function", "unchanged", (I((64,)),)),
    "SiLU": ("y = x · σ(x) = x / (1 + e⁻ˣ)", "unchanged", (I((64,)),)),
    "Sigmoid": ("y = σ(x) = 1 / (1 + e⁻ˣ)", "unchanged", (I((64,)),)),
    "Tanh": ("y = tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)", "unchanged", (I((64,)),)),
    "Softmax": ("yᵢ = eˣⁱ / Σⱼ eˣʲ along dim", "unchanged", (I((10,)),)),
    "LogSoftmax": ("yᵢ = xᵢ − log Σⱼ eˣʲ along dim", "unchanged", (I((10,)),)),
    "RNN": ("hₜ = tanh(W xₜ + U hₜ₋₁ + b) (or relu)",
            "[N, T, F] → [N, T, hidden_size] (sequence) or [N, hidden_size] (last); ×2 if bidirectional",
            (I((8, 8)),)),
    "LSTM": ("gates i, f, o = σ(…), cₜ = f ⊙ cₜ₋₁ + i ⊙ tanh(W xₜ + U hₜ₋₁ + b), hₜ = o ⊙ tanh(cₜ)",
             "[N, T, F] → [N, T, hidden_size] (sequence) or [N, hidden_size] (last); ×2 if bidirectional",
             (I((8, 8)),)),
    "GRU": ("z, r = σ(…), h̃ = tanh(W xₜ + U (r ⊙ hₜ₋₁)), hₜ = (1 − z) ⊙ hₜ₋₁ + z ⊙ h̃",
            "[N, T, F] → [N, T, hidden_size] (sequence) or [N, hidden_size] (last); ×2 if bidirectional",
            (I((8, 8)),)),
    "Recurrent": ("the chosen cell's update (RNN, LSTM or GRU), step by step along the sequence",
                  "[N, T, F] → [N, T, hidden_size] (sequence) or [N, hidden_size] (last); ×2 if bidirectional",
                  (I((8, 8)),)),
    "MultiheadSelfAttention": ("per head: softmax(Q Kᵀ / √d) V with Q, K, V = x W_Q, x W_K, x W_V; heads joined "
                               "and projected", "[N, T, E] unchanged; E must divide by num_heads", (I((8, 32)),)),
    "TransformerEncoderLayer": ("x + SelfAttention(x), then + FeedForward(·), each followed (or preceded, with "
                                "norm_first) by a LayerNorm", "[N, T, E] unchanged; E must divide by nhead",
                                (I((8, 32)),)),
    "PositionalEncoding": ("y = x + P, P[t] the code of position t (sines and cosines, or learned)",
                           "[N, T, E] unchanged", (I((8, 32)),)),
    "Add": ("y = x₀ + x₁ + … (a size-1 dim repeated to match)",
            "equal shapes in (or size 1 where they differ, same rank), the larger out",
            (I((16, 8, 8)), I((16, 1, 1)))),
    "Multiply": ("y = x₀ ⊙ x₁ ⊙ … (elementwise; a size-1 dim repeated to match)",
                 "equal shapes in (or size 1 where they differ, same rank), the larger out", (I((64,)), I((64,)))),
    "Concatenate": ("y = [x₀, x₁, …] joined along dim",
                    "equal shapes except along dim, which adds up", (I((16, 8, 8)), I((8, 8, 8)))),
    "Reparameterize": ("μ, log σ² = two Linear maps of x; z = μ + σ ⊙ ε, ε ~ N(0, 1) while training, z = μ when "
                       "evaluating (μ + σ with evaluating = mean + std); KL = −½ Σ (1 + log σ² − μ² − σ²)", "[N, F] → [N, latent]", (I((32,)),)),
    "TimestepEmbedding": ("y = [sin(t·f₀), …, sin(t·f_{h−1}), cos(t·f₀), …, cos(t·f_{h−1})], fᵢ = max_period^(−i/h), "
                          "h = dim / 2", "[N, 1] (int or float) → [N, dim]", (I((1,), "int", 1000),)),
    "Code": ("y = forward(x), the method you write (the default: Swish, y = x · σ(β x) with a learned β)",
             "what forward returns, found by running it on an example batch of the input's shape", (I((64,)),)),
}


@dataclass(frozen=True)
class Entry:
    spec: LayerSpec
    formula: str  # "" when the reference has no note for the layer yet
    rule: str
    example: str  # "[N, 1, 8, 8] → [N, 16, 6, 6]" with the default parameters, or ""

    @property
    def type(self) -> str:
        return self.spec.type

    def text(self) -> str:
        """Everything a search matches against."""
        params = " ".join(f"{p.name} {p.help}" for p in self.spec.all_params)
        return " ".join((self.spec.type, self.spec.category, self.spec.help, self.formula, self.rule, params)).lower()


def example(spec: LayerSpec, inputs: tuple[TensorType, ...]) -> str:
    """What the catalog's shape rule makes of `inputs` with the default parameters."""
    if spec.shape is None:
        return ""
    try:
        out = spec.shape(spec.defaults(), list(inputs))
    except ShapeError as e:
        return f"{', '.join(map(str, inputs))}: {e.message}"
    outs = out if isinstance(out, list) else [out]
    ins = ", ".join(map(str, inputs)) if inputs else "(no input)"
    return f"{ins} → {', '.join(map(str, outs))}"


def entry(layer_type: str) -> Entry:
    spec = CATALOG[layer_type]
    formula, rule, inputs = NOTES.get(layer_type, ("", "", None))
    return Entry(spec, formula, rule, example(spec, inputs) if inputs is not None else "")


def entries() -> list[Entry]:
    """Every catalog layer, by category in the palette's order."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    specs = sorted(CATALOG.values(), key=lambda s: order.get(s.category, len(order)))
    return [entry(s.type) for s in specs]


def search(text: str) -> list[Entry]:
    """The entries whose name, help, formula, shape rule or parameters contain every word of `text`."""
    words = text.lower().split()
    return [e for e in entries() if all(w in e.text() for w in words)]
