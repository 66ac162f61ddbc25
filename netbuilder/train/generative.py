"""Looking at what an autoencoder or a VAE learned (Qt-free): its reconstructions, the decoder on its own,
and a walk through the latent space. The UI shows the tensors these return as image grids.

    originals, rebuilt = reconstructions(model, data.val[0], n=8)
    images = latent_grid(graph, model, steps=8)   # [64, C, H, W]: z1 left to right, z2 bottom to top

Everything runs in eval mode (a Reparameterize layer gives its mean) without gradients, and puts each
module's training flag back afterwards.
"""
from __future__ import annotations

import math
import weakref
from contextlib import contextmanager

import torch
from torch import fx, nn

from ..analysis import Analysis
from ..graph.model import Graph

_decoders: "weakref.WeakKeyDictionary[nn.Module, dict[str, fx.GraphModule]]" = weakref.WeakKeyDictionary()


@contextmanager
def evaluating(model: nn.Module):
    """Eval mode and no gradients inside; each module's own training flag restored after."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        for m, training in modes:
            m.training = training


def as_images(t: torch.Tensor, like: tuple[int, ...] | None = None) -> torch.Tensor:
    """[N, C, H, W] from a batch of samples: images stay, [N, H, W] gets one channel, flat samples take
    the shape `like` (e.g. the Input's, without the batch) or a square when their size is one."""
    t = t.detach()
    if like is not None and math.prod(like) == math.prod(t.shape[1:]) and len(like) in (2, 3):
        t = t.reshape(len(t), *like)
    if t.dim() == 3:
        return t.unsqueeze(1)
    if t.dim() == 2:
        side = math.isqrt(t.shape[1])
        if side * side == t.shape[1]:
            return t.reshape(len(t), 1, side, side)
    if t.dim() != 4:
        raise ValueError(f"samples shaped {list(t.shape[1:])} cannot be shown as images")
    return t


def reconstructions(model: nn.Module, x: torch.Tensor, n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` samples of x, evenly spaced through it (a split ordered by class shows every class), and what
    the network makes of them: both as images [n, C, H, W] on the CPU. The network's output must hold as
    many values per sample as its input."""
    x = x[torch.linspace(0, len(x) - 1, min(n, len(x))).round().long()] if len(x) > n else x
    device = next((p.device for p in model.parameters()), x.device)
    with evaluating(model):
        out = model(x.to(device))
    if isinstance(out, tuple):
        raise ValueError("the network has several Outputs: reconstructions need one")
    if out[0].numel() != x[0].numel():
        raise ValueError(f"the network gives {list(out.shape[1:])} for inputs {list(x.shape[1:])}:"
                         " a reconstruction needs as many values as the input")
    originals = as_images(x.cpu())
    return originals, out.cpu().reshape(originals.shape)


def latent_node(graph: Graph, model: nn.Module, start: str | None = None) -> str:
    """The name of the node whose output is the latent code: `start`, or the network's only
    Reparameterize layer. Raises ValueError when there is none or the choice is ambiguous."""
    names = {name for name, _ in model.named_children()}
    if start is not None:
        if start not in names:
            raise ValueError(f"the network has no layer named '{start}'")
        return start
    found = [n.name for n in graph.nodes() if n.type == "Reparameterize" and n.name in names]
    if len(found) != 1:
        what = "no Reparameterize layer" if not found else f"{len(found)} Reparameterize layers"
        raise ValueError(f"the network has {what}: name the layer whose output is the latent code")
    return found[0]


def decoder(graph: Graph, model: fx.GraphModule, start: str | None = None) -> fx.GraphModule:
    """The part of the compiled network after the node `start` (default: the Reparameterize layer), as a
    GraphModule that takes the latent code z. It shares the network's layers, so it always decodes
    with the current weights. Raises ValueError when a later layer also reads from before `start`
    (a skip connection around it): then there is no decoder on its own."""
    name = latent_node(graph, model, start)
    cached = _decoders.setdefault(model, {})
    if name in cached:
        return cached[name]
    nodes = list(model.graph.nodes)
    first = next(n for n in nodes if n.op == "call_module" and n.target == name)
    after = {first}
    for node in nodes:  # fx keeps its nodes in topological order
        if node.op != "output" and any(a in after for a in node.all_input_nodes):
            after.add(node)
    g = fx.Graph()
    env = {first: g.placeholder("z")}
    for node in nodes:
        if node is first or node not in after:
            continue
        for before in node.all_input_nodes:
            if before not in env:
                raise ValueError(f"'{node.name}' also reads '{before.name}', which comes before '{name}':"
                                 " the layers after it are not a decoder on their own")
        env[node] = g.node_copy(node, lambda a: env[a])
    result = next(n for n in nodes if n.op == "output").args[0]
    missing = [a.name for a in _leaves(result) if a not in env]
    if missing:
        raise ValueError(f"the Output does not depend on '{name}' alone (it reads {', '.join(missing)})")
    g.output(fx.map_arg(result, lambda a: env[a]))
    module = fx.GraphModule(model, g, class_name="Decoder")
    cached[name] = module
    return module


def _leaves(arg) -> list[fx.Node]:
    found: list[fx.Node] = []
    fx.map_arg(arg, lambda a: found.append(a) or a)
    return found


def latent_size(graph: Graph, start: str) -> int:
    """The size of the latent code: the features of the node's output."""
    node = graph.by_name(start)
    analysis = Analysis(graph)
    try:
        shape = analysis.output(node.id)
    finally:
        analysis.close()
    if shape is None or shape.rank != 1:
        raise ValueError(f"'{start}' gives {shape}: a latent code is [N, features]")
    return shape.shape[0]


def decode(graph: Graph, model: fx.GraphModule, z: torch.Tensor, start: str | None = None) -> torch.Tensor:
    """What the decoder makes of latent codes z [N, latent], as the network's Output gives it, on the CPU."""
    dec = decoder(graph, model, start)
    device = next((p.device for p in model.parameters()), z.device)
    with evaluating(model):
        return dec(z.to(device)).cpu()


def encode(graph: Graph, model: fx.GraphModule, x: torch.Tensor, start: str | None = None) -> torch.Tensor:
    """The latent codes of samples x (a Reparameterize layer's means), [N, latent], on the CPU."""
    name = latent_node(graph, model, start)
    codes: list[torch.Tensor] = []
    hook = model.get_submodule(name).register_forward_hook(lambda m, i, out: codes.append(out))
    device = next((p.device for p in model.parameters()), x.device)
    try:
        with evaluating(model):
            model(x.to(device))
    finally:
        hook.remove()
    return codes[0].cpu()


def latent_grid(graph: Graph, model: fx.GraphModule, steps: int = 8, start: str | None = None,
                spread: float = 0.95) -> torch.Tensor:
    """Decoded images [steps * steps, C, H, W] over a grid in the first two latent dimensions (the others
    at 0): row by row, z2 from high (top) to low, z1 from low to high (left to right). The grid runs over
    the middle `spread` of a standard normal (the prior), from its quantile (1 - spread) / 2 up."""
    name = latent_node(graph, model, start)
    size = latent_size(graph, name)
    if size < 2:
        raise ValueError(f"'{name}' gives a latent code of size {size}: a grid needs two dimensions")
    edge = (1 - spread) / 2
    values = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(edge, 1 - edge, steps))
    z = torch.zeros(steps * steps, size)
    z[:, 0] = values.repeat(steps)
    z[:, 1] = values.flip(0).repeat_interleave(steps)
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    like = tuple(inputs[0].params["shape"]) if len(inputs) == 1 else None
    return as_images(decode(graph, model, z, name), like)
