"""Which catalog layer each torch.nn module becomes, with its parameters: the inverse of the layers' `module`
rules (layers/). A module that has none raises Unsupported, saying what it is. Torch functions and tensor
methods: import_functions.py."""
from __future__ import annotations

from torch import fx, nn

from ...layers import get
from .rules import NETBUILDER_MODULES, Mapper, Unsupported


# ---- torch.nn modules ------------------------------------------------------------------------------
def map_module(m: Mapper, node: fx.Node, module: nn.Module):
    name = type(module).__name__
    own = type(module) is getattr(nn, name, None)
    from .model import _is_netbuilder_module

    rule = MODULES.get(name) if own else CUSTOM.get(name) if _is_netbuilder_module(module) else None
    if rule is None:
        raise Unsupported(f"self.{node.target}: {'nn.' if own else ''}{name}")
    return rule(m, node, module)


def _single(m: Mapper, node: fx.Node, what: str) -> str:
    if len(node.args) != 1 or any(v is not None and v is not False for v in node.kwargs.values()):
        raise Unsupported(f"self.{node.target} ({what}) called with more than one input")
    return m.tensor(node.args[0])


def _layer(layer: str, params=None):
    """A module that becomes one layer: its parameters from `params(module)`, its weights its own."""
    def rule(m: Mapper, node: fx.Node, module: nn.Module):
        x = _single(m, node, layer)
        values = params(module) if params else {}
        weights = None
        if module.state_dict():
            m.owns(str(node.target), module)
            weights = (str(node.target), "")
        if get(layer).weights != "none" and any(True for _ in module.parameters()):
            values["trainable"] = any(p.requires_grad for p in module.parameters())
        return m.add(layer, [x], values, weights=weights)
    return rule


def _size(value, dims: int):
    """A module's size (int or tuple) as the catalog's param: an int, or for 2-D a pair that differs."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims or not all(isinstance(v, int) for v in values):
        raise Unsupported(f"a size of {value!r}")
    return values[0] if dims == 1 or values[0] == values[1] else list(values)


def _conv(dims: int):
    def params(c):
        if c.groups != 1:
            raise Unsupported(f"nn.Conv{dims}d with groups={c.groups} (the catalog's convolutions have one group)")
        if c.padding_mode != "zeros":
            raise Unsupported(f"nn.Conv{dims}d with padding_mode='{c.padding_mode}'")
        padding = c.padding
        if isinstance(padding, str):  # 'valid' or 'same' (stride 1)
            reach = [d * (k - 1) for d, k in zip(c.dilation, c.kernel_size)]
            if padding == "same" and any(r % 2 for r in reach):
                raise Unsupported(f"nn.Conv{dims}d with padding='same' and an even kernel (uneven padding)")
            padding = [r // 2 for r in reach] if padding == "same" else [0] * dims
        return dict(out_channels=c.out_channels, kernel_size=_size(c.kernel_size, dims),
                    stride=_size(c.stride, dims), padding=_size(padding, dims),
                    dilation=_size(c.dilation, dims), bias=c.bias is not None)
    return params


def _tconv(c):
    if c.groups != 1 or tuple(c.dilation) != (1, 1) or c.padding_mode != "zeros":
        raise Unsupported("nn.ConvTranspose2d with groups, dilation or a padding_mode (the catalog's has none)")
    return dict(out_channels=c.out_channels, kernel_size=_size(c.kernel_size, 2), stride=_size(c.stride, 2),
                padding=_size(c.padding, 2), output_padding=_size(c.output_padding, 2), bias=c.bias is not None)


def _batchnorm(b):
    if b.momentum is None or not b.track_running_stats:
        raise Unsupported(f"nn.{type(b).__name__} without running statistics or with momentum=None")
    return dict(eps=b.eps, momentum=b.momentum, affine=b.affine)


def _layernorm(n):
    if len(n.normalized_shape) != 1:
        raise Unsupported(f"nn.LayerNorm over {len(n.normalized_shape)} dims (the catalog's normalizes the last)")
    if n.elementwise_affine and getattr(n, "bias", True) is None:
        raise Unsupported("nn.LayerNorm without a bias")
    return dict(eps=n.eps, elementwise_affine=n.elementwise_affine)


def _embedding(e):
    if e.max_norm is not None:
        raise Unsupported("nn.Embedding with max_norm")
    return dict(num_embeddings=e.num_embeddings, embedding_dim=e.embedding_dim)


def _flatten(f):
    if f.start_dim == 0:
        raise Unsupported("nn.Flatten(start_dim=0), which joins the batch with the rest")
    return dict(start_dim=f.start_dim, end_dim=f.end_dim)


def _gelu(g):
    if g.approximate != "none":
        raise Unsupported(f"nn.GELU(approximate='{g.approximate}')")
    return {}


def _dim(s):
    if s.dim is None:
        raise Unsupported(f"nn.{type(s).__name__} without a dim")
    return dict(dim=s.dim)


def _pool(dims: int, kind: str):
    def params(p):
        if getattr(p, "ceil_mode", False) or getattr(p, "return_indices", False) \
                or _size(getattr(p, "dilation", 1), dims) != 1 or not getattr(p, "count_include_pad", True) \
                or getattr(p, "divisor_override", None) is not None:
            raise Unsupported(f"nn.{kind}Pool{dims}d with ceil_mode, dilation, return_indices or a divisor")
        return dict(kernel_size=_size(p.kernel_size, dims), stride=_size(p.stride or p.kernel_size, dims),
                    padding=_size(p.padding, dims))
    return params


def _adaptive(p):
    size = p.output_size
    if size is None or (isinstance(size, (tuple, list)) and None in size):
        raise Unsupported("nn.AdaptiveAvgPool2d keeping a size as it is (None)")
    return dict(output_size=_size(size, 2))


def _upsample(u):
    return _upsample_params(u.size, u.scale_factor, u.mode, u.align_corners)


def _upsample_params(size, scale, mode, align):
    scales = scale if isinstance(scale, (tuple, list)) else [scale]
    if size is not None or scale is None or len(set(scales)) != 1 or float(scales[0]) != int(scales[0]):
        raise Unsupported("upsampling to a size or by a factor that is not one whole number")
    if mode not in ("nearest", "linear", "bilinear") or align:
        raise Unsupported(f"upsampling with mode '{mode}'{' and align_corners' if align else ''}")
    return dict(scale_factor=int(scales[0]), mode=mode)


def _instance(i):
    return dict(eps=i.eps, momentum=i.momentum if i.momentum is not None else 0.1, affine=i.affine,
                track_running_stats=i.track_running_stats)


def _padding(dims: int):
    def params(p):
        values = list(p.padding) if isinstance(p.padding, (tuple, list)) else [p.padding]
        return dict(padding=[values[0]] if len(set(values)) == 1 else values)
    return params


def _prelu(a):
    weight = a.weight.detach().flatten()
    if not bool((weight >= 0).all() and (weight <= 1).all()):
        raise Unsupported("nn.PReLU with a slope outside [0, 1]")
    return dict(per_channel=a.num_parameters > 1, slope=float(weight[0]))


def _dropout2d(m: Mapper, node: fx.Node, module: nn.Module):
    rank = len(m.shape(node.args[0]))
    if rank != 4:
        from .functions import _shape_text

        raise Unsupported(f"self.{node.target}: nn.Dropout2d on {_shape_text(m.shape(node.args[0]))}, which zeroes"
                          " whole channels of [N, C, H, W] images only; on other shapes use nn.Dropout", final=True)
    return _layer("Dropout2d", lambda d: dict(p=d.p))(m, node, module)


def _constant_pad(dims: int):
    def rule(m: Mapper, node: fx.Node, module: nn.Module):
        if module.value != 0:
            raise Unsupported(f"self.{node.target}: nn.ConstantPad{dims}d with the value {module.value}")
        return _layer(f"ZeroPad{dims}d", _padding(dims))(m, node, module)
    return rule


def _identity(m: Mapper, node: fx.Node, module: nn.Module):
    return m.tensor(node.args[0])


def _as_reshape(m: Mapper, node: fx.Node, module: nn.Module):
    from .functions import reshape

    return reshape(m, node, node.args[0])


MODULES = {
    "Linear": _layer("Linear", lambda l: dict(out_features=l.out_features, bias=l.bias is not None)),
    "Conv1d": _layer("Conv1d", _conv(1)),
    "Conv2d": _layer("Conv2d", _conv(2)),
    "ConvTranspose2d": _layer("ConvTranspose2d", _tconv),
    "BatchNorm1d": _layer("BatchNorm1d", _batchnorm),
    "BatchNorm2d": _layer("BatchNorm2d", _batchnorm),
    "LayerNorm": _layer("LayerNorm", _layernorm),
    "GroupNorm": _layer("GroupNorm", lambda n: dict(num_groups=n.num_groups, eps=n.eps, affine=n.affine)),
    "Dropout": _layer("Dropout", lambda d: dict(p=d.p)),
    "Dropout2d": _dropout2d,
    "InstanceNorm1d": _layer("InstanceNorm1d", _instance), "InstanceNorm2d": _layer("InstanceNorm2d", _instance),
    "PixelShuffle": _layer("PixelShuffle", lambda p: dict(upscale_factor=p.upscale_factor)),
    "PixelUnshuffle": _layer("PixelUnshuffle", lambda p: dict(downscale_factor=p.downscale_factor)),
    "AdaptiveMaxPool2d": _layer("AdaptiveMaxPool2d", _adaptive),
    "PReLU": _layer("PReLU", _prelu),
    "ConstantPad1d": _constant_pad(1), "ConstantPad2d": _constant_pad(2),
    **{f"{kind}Pad{d}d": _layer(f"{kind}Pad{d}d", _padding(d)) for kind in ("Zero", "Reflection", "Replication")
       for d in (1, 2)},
    "Embedding": _layer("Embedding", _embedding),
    "Flatten": _layer("Flatten", _flatten),
    "Unflatten": _as_reshape,
    "Identity": _identity,
    "ReLU": _layer("ReLU"),
    "LeakyReLU": _layer("LeakyReLU", lambda a: dict(negative_slope=a.negative_slope)),
    "ELU": _layer("ELU", lambda a: dict(alpha=a.alpha)),
    "GELU": _layer("GELU", _gelu),
    "SiLU": _layer("SiLU"),
    "Sigmoid": _layer("Sigmoid"),
    "Tanh": _layer("Tanh"),
    "Softmax": _layer("Softmax", _dim),
    "LogSoftmax": _layer("LogSoftmax", _dim),
    "MaxPool1d": _layer("MaxPool1d", _pool(1, "Max")),
    "MaxPool2d": _layer("MaxPool2d", _pool(2, "Max")),
    "AvgPool1d": _layer("AvgPool1d", _pool(1, "Avg")),
    "AvgPool2d": _layer("AvgPool2d", _pool(2, "Avg")),
    "AdaptiveAvgPool2d": _layer("AdaptiveAvgPool2d", _adaptive),
    "Upsample": _layer("Upsample", _upsample),
}


# ---- recurrent layers and attention: their results are tuples, taken apart by indexing -----------
class Part:
    """A piece of a recurrent or attention module's result, decided by how forward indexes it."""

    def __init__(self, owner, kind: str):
        self.owner, self.kind = owner, kind

    def index(self, m: Mapper, idx):
        return self.owner.index(m, self.kind, idx)

    def materialize(self, m: Mapper) -> str:
        return self.owner.materialize(m, self.kind)


class RecurrentCall:
    """nn.RNN / nn.LSTM / nn.GRU: (every step's output, the hidden state (with the cell state for LSTM))."""

    def __init__(self, node: fx.Node, module: nn.Module, x: str):
        self.node, self.module, self.x, self.made = node, module, x, {}
        self.label = f"self.{node.target}"

    def index(self, m: Mapper, kind: str, idx):
        lstm = isinstance(self.module, nn.LSTM)
        one_way = not self.module.bidirectional
        if kind == "all" and idx in (0, 1):
            return Part(self, "sequence" if idx == 0 else "hidden" if lstm else "h")
        if kind == "hidden" and idx == 0:
            return Part(self, "h")
        if kind == "hidden" and idx == 1:
            raise Unsupported(f"the cell state of {self.label} (a Recurrent layer gives every step's output or"
                              " the last hidden state)")
        if kind == "h" and one_way and idx in (-1, self.module.num_layers - 1):
            return Part(self, "last")
        if kind == "h" and not one_way and idx in (-2, -1):
            return Part(self, f"h{idx}")  # torch.cat((h[-2], h[-1]), dim=1): the last state both ways
        if kind == "sequence" and one_way and self.module.batch_first and _is_last_step(idx):
            return Part(self, "last")
        raise Unsupported(f"this part of {self.label}'s result ([{_index_text(idx)}])")

    def materialize(self, m: Mapper, kind: str) -> str:
        if kind not in ("sequence", "last"):
            what = "the whole (output, state) result" if kind == "all" else "the hidden states of every layer"
            raise Unsupported(f"{what} of {self.label} (a Recurrent layer gives every step's output or the top"
                              " layer's last hidden state)")
        if kind in self.made:
            return self.made[kind]
        if self.made:
            raise Unsupported(f"both every step's output and the last state of {self.label}: a Recurrent layer"
                              " gives one of them")
        r = self.module
        if getattr(r, "proj_size", 0) or not r.bias:
            raise Unsupported(f"{self.label}: nn.{type(r).__name__} with proj_size or bias=False")
        path = str(self.node.target)
        m.owns(path, r)
        params = dict(cell=type(r).__name__, hidden_size=r.hidden_size, num_layers=r.num_layers,
                      bidirectional=r.bidirectional, dropout=float(r.dropout), returns=kind,
                      trainable=any(p.requires_grad for p in r.parameters()))
        if isinstance(r, nn.RNN):
            params["nonlinearity"] = r.nonlinearity
        self.made[kind] = m.add("Recurrent", [self.x], params, name=path.replace(".", "_"), weights=(path, "rnn"))
        return self.made[kind]


def _recurrent(m: Mapper, node: fx.Node, module: nn.Module):
    x = node.args[0] if node.args else node.kwargs.get("input")
    hx = node.args[1] if len(node.args) > 1 else node.kwargs.get("hx")
    where = 0 if module.batch_first else 1
    if m.bdim(x) != where:
        raise Unsupported(f"self.{node.target} (batch_first={module.batch_first}) given a tensor whose batch is in"
                          f" dim {m.bdim(x)}")
    if hx is None:
        return Part(RecurrentCall(node, module, m.tensor(x)), "all")
    states = list(hx) if isinstance(hx, (tuple, list)) else [hx]
    if any(not isinstance(h, fx.Node) or m.bdim(h) != 1 for h in states) or getattr(module, "proj_size", 0) \
            or not module.bias:
        raise Unsupported(f"self.{node.target} given a starting state that is not [layers x directions, N, hidden]"
                          " tensors, or with proj_size or bias=False")
    path = str(node.target)
    m.owns(path, module)
    params = dict(cell=type(module).__name__, hidden_size=module.hidden_size, num_layers=module.num_layers,
                  bidirectional=module.bidirectional, dropout=float(module.dropout), returns="sequence", state=True,
                  trainable=any(p.requires_grad for p in module.parameters()))
    if isinstance(module, nn.RNN):
        params["nonlinearity"] = module.nonlinearity
    made = m.add("Recurrent", [m.tensor(x), *(m.tensor(h) for h in states)], params, name=path.replace(".", "_"),
                 weights=(path, "rnn"))
    from .fallback import CodeResult

    hidden = ["h", "c"] if isinstance(module, nn.LSTM) else "h"
    return CodeResult(made, ["out", hidden])


class AttentionCall:
    """nn.MultiheadAttention: (the output, the attention weights)."""

    def __init__(self, node: fx.Node, module: nn.Module, x: str):
        self.node, self.module, self.x, self.made = node, module, x, None

    def index(self, m: Mapper, kind: str, idx):
        if kind == "all" and idx == 0:
            return Part(self, "out")
        raise Unsupported(f"the attention weights of self.{self.node.target}")

    def materialize(self, m: Mapper, kind: str) -> str:
        if kind != "out":
            raise Unsupported(f"the whole result of self.{self.node.target} (its output is [0])")
        if self.made is None:
            a, path = self.module, str(self.node.target)
            m.owns(path, a)
            params = dict(num_heads=a.num_heads, dropout=float(a.dropout), bias=a.in_proj_bias is not None,
                          causal=False, trainable=any(p.requires_grad for p in a.parameters()))
            self.made = m.add("MultiheadSelfAttention", [self.x], params, name=path.replace(".", "_"),
                              weights=(path, "attn"))
        return self.made


def _attention(m: Mapper, node: fx.Node, module: nn.Module):
    a = module
    args = list(node.args) + [node.kwargs.get(k) for k in ("query", "key", "value") if k in node.kwargs]
    extra = {k: v for k, v in node.kwargs.items() if k not in ("query", "key", "value", "need_weights",
                                                               "average_attn_weights")}
    if len(args) != 3 or not (args[0] is args[1] is args[2]) or any(v not in (None, False) for v in extra.values()):
        raise Unsupported(f"self.{node.target}: attention other than self-attention without masks (query, key and"
                          " value the same tensor)")
    if not a.batch_first or not a._qkv_same_embed_dim or a.bias_k is not None or a.add_zero_attn:
        raise Unsupported(f"self.{node.target}: nn.MultiheadAttention without batch_first=True, or with kdim,"
                          " vdim, add_bias_kv or add_zero_attn")
    return Part(AttentionCall(node, module, m.tensor(args[0])), "all")


def _encoder_layer(m: Mapper, x: str, layer: nn.Module, path: str, name: str) -> str:
    if not layer.self_attn.batch_first:
        raise Unsupported(f"self.{path}: nn.TransformerEncoderLayer without batch_first=True")
    if layer.norm1.eps != 1e-5 or layer.linear1.bias is None:
        raise Unsupported(f"self.{path}: nn.TransformerEncoderLayer with layer_norm_eps={layer.norm1.eps} or"
                          " bias=False (the catalog's has 1e-05 and biases)")
    if layer.activation_relu_or_gelu not in (1, 2):
        raise Unsupported(f"self.{path}: nn.TransformerEncoderLayer with an activation other than relu or gelu")
    params = dict(nhead=layer.self_attn.num_heads, dim_feedforward=layer.linear1.out_features,
                  dropout=float(layer.dropout.p), norm_first=bool(layer.norm_first),
                  activation="relu" if layer.activation_relu_or_gelu == 1 else "gelu",
                  trainable=any(p.requires_grad for p in layer.parameters()))
    return m.add("TransformerEncoderLayer", [x], params, name=name, weights=(path, ""))


def _no_masks(node: fx.Node):
    if len(node.args) != 1 or any(v not in (None, False) for v in node.kwargs.values()):
        raise Unsupported(f"self.{node.target} given a mask (the catalog's encoder layers take none)")


def _transformer_layer(m: Mapper, node: fx.Node, module: nn.Module):
    _no_masks(node)
    path = str(node.target)
    m.owns(path, module)
    return _encoder_layer(m, m.tensor(node.args[0]), module, path, path.replace(".", "_"))


def _transformer(m: Mapper, node: fx.Node, module: nn.Module):
    _no_masks(node)
    path = str(node.target)
    m.owns(path, module)
    base = path.replace(".", "_")
    x = m.tensor(node.args[0])
    for i, layer in enumerate(module.layers):
        x = _encoder_layer(m, x, layer, f"{path}.layers.{i}", f"{base}{i + 1}")
    if module.norm is not None:
        if not isinstance(module.norm, nn.LayerNorm):
            raise Unsupported(f"self.{path}: a final norm that is not nn.LayerNorm")
        x = m.add("LayerNorm", [x], _layernorm(module.norm), name=f"{base}_norm", weights=(f"{path}.norm", ""))
    return x


MODULES.update({"RNN": _recurrent, "LSTM": _recurrent, "GRU": _recurrent, "MultiheadAttention": _attention,
                "TransformerEncoderLayer": _transformer_layer, "TransformerEncoder": _transformer})


def _is_last_step(idx) -> bool:
    full = slice(None)
    return isinstance(idx, tuple) and idx[:2] == (full, -1) and all(i == full for i in idx[2:]) and len(idx) <= 3


def _index_text(idx) -> str:
    items = idx if isinstance(idx, tuple) else (idx,)

    def one(i):
        if isinstance(i, slice):
            return ":".join("" if v is None else str(v) for v in (i.start, i.stop)) + (f":{i.step}" if i.step else "")
        return "..." if i is Ellipsis else str(i)
    return ", ".join(one(i) for i in items)


# ---- netbuilder's own modules, as exported code defines them ----------------------------------------
def _recurrent_params(r):
    rnn = r.rnn
    params = dict(cell=type(rnn).__name__, hidden_size=rnn.hidden_size, num_layers=rnn.num_layers,
                  bidirectional=rnn.bidirectional, dropout=float(rnn.dropout), returns=r.returns)
    if params["cell"] == "RNN":
        params["nonlinearity"] = rnn.nonlinearity
    return params


def _own_recurrent(m: Mapper, node: fx.Node, module: nn.Module):
    """netbuilder's Recurrent; with state=True it takes (x, h) or (x, h, c) and gives (out, h) or (out, h, c), each
    state [N, layers x directions, hidden]: a Recurrent layer with its state ports."""
    if not getattr(module, "state", False):
        return _layer("Recurrent", _recurrent_params)(m, node, module)
    lstm = isinstance(module.rnn, nn.LSTM)
    states = list(node.args[1:])
    if len(states) != (2 if lstm else 1) or node.kwargs or any(not isinstance(h, fx.Node) or m.bdim(h) != 0
                                                               for h in states):
        raise Unsupported(f"self.{node.target} (a Recurrent layer with its state) given other than its state"
                          f" ({'h and c' if lstm else 'h'}, each [N, layers x directions, hidden])")
    path = str(node.target)
    m.owns(path, module)
    params = dict(_recurrent_params(module), state=True,
                  trainable=any(p.requires_grad for p in module.parameters()))
    made = m.add("Recurrent", [m.tensor(node.args[0]), *(m.tensor(h) for h in states)], params, weights=(path, ""))
    from .fallback import CodeResult

    return CodeResult(made, ["out", "h", "c"] if lstm else ["out", "h"])


def _posenc_params(p):
    return dict(kind="learned" if isinstance(p.pe, nn.Parameter) else "sinusoidal")


CUSTOM = {
    "Reshape": _layer("Reshape", lambda r: dict(shape=list(r.shape))),
    "Permute": _layer("Permute", lambda p: dict(dims=list(p.dims))),
    "GlobalAvgPool": _layer("GlobalAvgPool"),
    "Recurrent": _own_recurrent,
    "SelfAttention": _layer("MultiheadSelfAttention", lambda s: dict(
        num_heads=s.attn.num_heads, dropout=float(s.attn.dropout), bias=s.attn.in_proj_bias is not None,
        causal=bool(s.causal))),
    "PositionalEncoding": _layer("PositionalEncoding", _posenc_params),
    "Reparameterize": _layer("Reparameterize", lambda r: dict(latent=r.mean.out_features,
                                                              evaluating=getattr(r, "evaluating", "mean"))),
    "TimestepEmbedding": _layer("TimestepEmbedding", lambda m: dict(dim=m.dim, max_period=float(m.max_period))),
}
