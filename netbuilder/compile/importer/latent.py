"""A VAE's reparameterisation -> the catalog's Reparameterize layer, so that the variational recipe trains the
imported document (its KL term is read from that layer).

What is recognised: two nn.Linear modules reading the same [N, features] tensor, giving the mean and the
log-variance, and the latent code z that the rest of the network reads made from them alone, however it is
written (`mu + torch.randn_like(std) * std`, `eps.mul(std).add_(mu)`, `if self.training: ... return mu`).
What it computes is checked on values, not on how it is spelled:
- when evaluating (the capture's mode): z is the mean, or the mean plus exp(logvar / 2) (MONAI's VarAutoEncoder),
  or a sample mean + eps * exp(logvar / 2) with eps from torch's normal draws (the model samples in eval mode too:
  the document gives the mean then, and the import compares the model's mean path, its draws made zero);
- when training (the model run once more in training mode, its buffers put back): z = mean + eps * exp(logvar / 2)
  for one of its normal draws eps.
Two heads that are not a VAE's (a box and a score, q and k of attention) fail one of these and stay as they are.
The mean, the log-variance and what forward computes from them alone are inside the layer: forward's results
that are one of them (mu, logvar, z, a KL term) are not the document's outputs (`Mapper.kept_outputs`).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import torch
from torch import fx, nn
from torch.utils import _pytree as pytree
from torch.utils._python_dispatch import TorchDispatchMode

from .rules import Mapper

aten = torch.ops.aten
NORMAL = {aten.randn_like, aten.randn, aten.normal, aten.normal_}  # draws from N(0, 1) (their packets)
NORMAL_FUNCTIONS = {torch.randn_like, torch.randn, torch.normal}  # as symbolic tracing records them
INSIDE = object()  # the value of a node the Reparameterize layer computes inside


@dataclass
class Latent:
    features: fx.Node  # what both heads read
    mean: fx.Node
    logvar: fx.Node
    z: fx.Node  # what the rest of the network reads (the mean itself when evaluating gives the mean)
    inside: set = field(default_factory=set)  # the nodes between the heads and z (and what only they use)
    evaluating: str = "mean"  # the layer's `evaluating` parameter
    samples: bool = False  # the model draws z when evaluating too: compare its mean path


def find(m: Mapper, trains) -> dict[fx.Node, Latent]:
    """Each reparameterisation of the captured graph, by every node it takes in (z included). `trains(mean_path,
    logvar_path, mean_shape)`: whether the model, training, samples mean + eps * exp(logvar / 2)."""
    if trains is None:
        return {}
    found: dict[fx.Node, Latent] = {}
    for a, b in _pairs(m):
        if a in found or b in found:
            continue
        latent = _latent(m, a, b)
        if latent is None or any(n in found for n in latent.inside | {latent.z}):
            continue
        if not trains(str(a.target), str(b.target), tuple(m.results[a].shape)):
            continue
        for n in latent.inside | {latent.z, a, b}:
            found[n] = latent
    return found


def _pairs(m: Mapper):
    """(mean, log-variance) candidates, both orders: Linear calls with a bias, of one size, on one [N, features]."""
    heads: dict[fx.Node, list[fx.Node]] = {}
    for n in m.gm.graph.nodes:
        if n.op != "call_module" or n not in m.live or len(n.args) != 1 or n.kwargs:
            continue
        module = m.gm.get_submodule(n.target)
        x = n.args[0]
        if type(module) is nn.Linear and module.bias is not None and isinstance(x, fx.Node) \
                and isinstance(m.results.get(x), torch.Tensor) and m.results[x].dim() == 2 and m.bdim(x) == 0:
            heads.setdefault(x, []).append(n)
    for group in heads.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if m.gm.get_submodule(a.target).out_features == m.gm.get_submodule(b.target).out_features:
                    yield a, b
                    yield b, a


def _latent(m: Mapper, mean: fx.Node, logvar: fx.Node) -> Latent | None:
    """The reparameterisation with these heads as the model evaluates it, or None: z is the first node (the mean
    itself, or one computed from the heads alone) that is a latent code, through which alone the rest of the
    network reads the heads (what it computes from z alone, z.view(...), is the rest of the network's)."""
    region = _computed_from(m, {mean, logvar})
    mu, lv = m.results[mean], m.results[logvar]
    if mu.shape != lv.shape:
        return None
    std = torch.exp(0.5 * lv)
    for z in [mean, *[n for n in m.gm.graph.nodes if n in region]]:
        value = m.results[z]
        if value.shape != mu.shape:
            continue
        after = _after(z, region)
        inside = region - after - {z}
        users = {src for src in inside | {mean, logvar, z} for u in src.users
                 if u in m.live and u not in inside and u is not z and u.op != "output" and _tensor(m, u)}
        if users != {z}:
            continue
        draws = [m.results[n] for n in inside if _normal(n) and m.results[n].shape == mu.shape]
        if z is mean:
            return Latent(mean.args[0], mean, logvar, z, inside, "mean", False)
        if _close(value, mu + std):
            return Latent(mean.args[0], mean, logvar, z, inside, "mean + std", False)
        if any(_close(value, mu + e * std) for e in draws):
            return Latent(mean.args[0], mean, logvar, z, inside, "mean", True)
    return None


def _computed_from(m: Mapper, heads: set) -> set:
    """The function calls computed from the heads alone (with normal draws made from sizes), in graph order."""
    inside: set = set()
    derived = set(heads)  # what is computed from a head (a draw made from sizes is not)
    for n in m.gm.graph.nodes:
        if n.op not in ("call_function", "call_method") or not _tensor(m, n):
            continue
        tensors = [a for a in n.all_input_nodes if _tensor(m, a)]
        if not tensors:
            if _normal(n):
                inside.add(n)  # torch.randn(mu.size(0), latent): kept when something of the heads' uses it
            continue
        if all(a in derived or a in inside for a in tensors) and any(a in derived for a in tensors):
            inside.add(n)
            derived.add(n)
    return {n for n in inside if n in derived or any(u in inside and u in derived for u in n.users)}


def _after(z: fx.Node, region: set) -> set:
    """The nodes of the region computed from z (the rest of the network's, when z alone is what they read)."""
    found, stack = set(), [u for u in z.users if u in region]
    while stack:
        n = stack.pop()
        if n not in found:
            found.add(n)
            stack.extend(u for u in n.users if u in region)
    return found


def _normal(n: fx.Node) -> bool:
    if n.op == "call_method":
        return n.target in ("normal_",)
    target = n.target
    return getattr(target, "overloadpacket", None) in NORMAL or target in NORMAL_FUNCTIONS


def _tensor(m: Mapper, n) -> bool:
    return isinstance(n, fx.Node) and isinstance(m.results.get(n), torch.Tensor)


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=1e-4, atol=1e-5))


# ---- the document's layer -------------------------------------------------------------------------------
def layer(m: Mapper, node: fx.Node):
    """z: the Reparameterize layer, with the two heads' weights as its mean and logvar; any other node taken in:
    nothing of its own (forward's outputs that are one of them are left out of the document)."""
    latent = m.latents[node]
    if node is not latent.z:
        return INSIDE
    heads = [(str(h.target), m.gm.get_submodule(h.target)) for h in (latent.mean, latent.logvar)]
    for path, module in heads:
        m.owns(path, module)
    trainable = any(p.requires_grad for _, module in heads for p in module.parameters())
    node_id = m.add("Reparameterize", [m.tensor(latent.features)],
                    dict(latent=heads[0][1].out_features, evaluating=latent.evaluating, trainable=trainable),
                    name=_name(m, node))
    name = m.builder.graph.node(node_id).name
    m.owners += [(heads[0][0], f"{name}.mean"), (heads[1][0], f"{name}.logvar")]
    m.notes.append(f"{heads[0][0]} and {heads[1][0]} (the mean and the log-variance) and the sampling of z from"
                   f" them came in as the Reparameterize layer '{name}'"
                   + (", which gives the mean when evaluating (the model samples then too)" if latent.samples else ""))
    return node_id


def _name(m: Mapper, z: fx.Node) -> str:
    """z's variable when the code names it (`z = ...`), else z."""
    wanted = m._names.get(z)
    return wanted if wanted and wanted not in ("std", "eps", "mu", "logvar") else "z"


# ---- the model as the import runs it ----------------------------------------------------------------------
class TrainingForm:
    """Whether the model, in training mode, samples z = mean + eps * exp(logvar / 2) from two of its modules
    (by path), for a normal draw eps of forward's. Runs the model once per pair asked about (remembered), in
    training mode without gradients, its buffers (a BatchNorm's running statistics) and modes put back."""

    def __init__(self, model: nn.Module, args: tuple):
        self.model, self.args = model, args
        self.known: dict[tuple[str, str], bool] = {}

    def __call__(self, mean_path: str, logvar_path: str, shape: tuple) -> bool:
        key = (mean_path, logvar_path)
        if key not in self.known:
            try:
                self.known[key] = self._samples(mean_path, logvar_path, shape)
            except Exception:  # noqa: BLE001 - the user's forward, training: no reparameterisation then
                self.known[key] = False
        return self.known[key]

    def _samples(self, mean_path: str, logvar_path: str, shape: tuple) -> bool:
        heads: dict[str, torch.Tensor] = {}
        hooks = [self.model.get_submodule(p).register_forward_hook(
            lambda mod, given, out, p=p: heads.setdefault(p, out)) for p in (mean_path, logvar_path)]
        record = _Record(shape)
        try:
            with _training(self.model), torch.no_grad(), torch.random.fork_rng(), record:
                torch.manual_seed(0)
                self.model(*self.args)
        finally:
            for h in hooks:
                h.remove()
        mu, lv = heads.get(mean_path), heads.get(logvar_path)
        if not isinstance(mu, torch.Tensor) or not isinstance(lv, torch.Tensor) or mu.shape != lv.shape:
            return False
        std = torch.exp(0.5 * lv)
        samples = [mu + e * std for e in record.draws if e.shape == mu.shape]
        return any(_close(v, s) for v in record.values for s in samples)


@contextlib.contextmanager
def _training(model: nn.Module):
    modes = {m: m.training for m in model.modules()}
    buffers = {k: b.detach().clone() for k, b in model.named_buffers()}
    model.train()
    try:
        yield
    finally:
        for module, mode in modes.items():
            module.training = mode
        with torch.no_grad():
            for k, b in model.named_buffers():
                if k in buffers and b.shape == buffers[k].shape:
                    b.copy_(buffers[k])


class _Record(TorchDispatchMode):
    """Every operator's result of the latent code's shape (copied: later in-place operators change it), and the
    normal draws."""

    def __init__(self, shape: tuple):
        super().__init__()
        self.shape, self.values, self.draws = tuple(shape[1:]), [], []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in pytree.tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.dim() == len(self.shape) + 1 and tuple(t.shape[1:]) == self.shape:
                (self.draws if func.overloadpacket in NORMAL else self.values).append(t.detach().clone())
        return out


class MeanPath(TorchDispatchMode):
    """The model's normal draws made zero: z = mean + 0 * std, the path the document takes when evaluating."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket in NORMAL and isinstance(out, torch.Tensor):
            out = out.zero_() if func.overloadpacket is aten.normal_ else torch.zeros_like(out)
        return out


def mean_path(latents) -> contextlib.AbstractContextManager:
    """MeanPath where one of the reparameterisations samples when evaluating, else nothing."""
    return MeanPath() if any(latent.samples for latent in latents) else contextlib.nullcontext()

