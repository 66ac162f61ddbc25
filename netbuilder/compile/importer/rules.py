"""The walk over a traced model that builds the document: one value per torch.fx node (a layer's id, a
recurrent layer's output not yet decided, a number), names from the model's attributes and variables,
every source line whose call the catalog lacks, and where each layer's weights came from."""
from __future__ import annotations

import operator
import re
import warnings
from pathlib import Path

import torch
from torch import fx, nn
from torch.utils import _pytree as pytree

from ...builder import GraphBuilder
from ...errors import UserError
from ...graph.model import name_problem
from ...layers import get

NETBUILDER_MODULES = ("Reshape", "Permute", "GlobalAvgPool", "Recurrent", "SelfAttention", "PositionalEncoding",
                      "Reparameterize", "TimestepEmbedding")
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in \S+\n\s*(?P<code>[^\n]*)')
_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)")


class ModelImportError(UserError):
    """A model that cannot be imported; the message names the file, the class and the line."""


class Unsupported(Exception):
    """What the catalog lacks for one call: it becomes a Code layer, or (`final`: what code cannot do either, with
    what would work instead) a line of the refusal."""

    def __init__(self, what: str, final: bool = False):
        super().__init__(what)
        self.what, self.final = what, final


class _Bad:
    """The value of a node that could not be mapped: what uses it is not reported again."""


class _Skip(Exception):
    """A call fed by a node that could not be mapped: only its own problems are reported."""


BAD, NUMBER = _Bad(), object()


class Mapper:
    def __init__(self, traced: fx.GraphModule, path: Path, model: nn.Module, code: set | None = None):
        self.gm, self.path, self.model = traced, Path(path), model
        self.code = code or set()  # nodes (by name) that become Code layers (fallback.py)
        self.runs: dict[fx.Node, tuple[str, str]] = {}  # results a Code layer made for an earlier one gives
        self.failed: list[tuple[fx.Node, Unsupported]] = []  # (the node to blame, what the catalog lacks)
        self.batch_size = 2  # the batch the model is run with here
        self.exploded: set[str] = set()  # module calls to capture operator by operator (no Code layer holds them)
        self.output_dims: list[int | None] = []  # where the batch is in each of forward's results
        self.constants: dict[str, torch.Tensor] = {}  # weights of Code layers the model holds as plain attributes
        self.builder = GraphBuilder()
        self.values: dict[fx.Node, object] = {}
        self.results: dict[fx.Node, object] = {}
        self.unsupported: list[str] = []
        self.owners: list[tuple[str, str]] = []  # (the model's prefix, the document's prefix) of weights
        self.called: set[str] = set()  # modules with weights already made into a layer
        self.merges: dict[str, dict[str, fx.Node]] = {}  # Add / Multiply layers made, by id: their call
        self.node: fx.Node | None = None  # the one being mapped
        self.origin: dict[str, fx.Node] = {}  # the document's layers by id: the call each was made from
        self.trains = None  # latent.TrainingForm: whether two modules, training, sample a VAE's latent code
        self.latents: dict = {}  # the nodes a Reparameterize layer takes in (latent.py)
        self.kept_outputs: list[int] = []  # which of forward's results the document returns (not mu, logvar)
        self.dropped_outputs = 0  # how many of forward's results are parts of a latent code (mu, logvar)
        self.notes: list[str] = []  # what the document's description says of how it was made
        self._names = self._assigned_names()

    # ---- running -------------------------------------------------------------------------------
    def record(self, xs: list[torch.Tensor], class_name: str) -> None:
        """Run the traced model once, keeping every node's value (shapes and sizes come from it)."""
        results = self.results

        class Recorder(fx.Interpreter):
            def run_node(self, n):
                results[n] = value = super().run_node(n)
                return value

        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the model's own warnings
                Recorder(self.gm).run(*xs)
        except Exception as e:  # noqa: BLE001 - the user's forward on the shapes they gave
            failed = next((n for n in self.gm.graph.nodes if n.op not in ("placeholder", "output")
                           and n not in results), None)
            line = self.where(failed)[0] if failed is not None else None
            shapes = ", ".join(str(list(x.shape[1:])) for x in xs)
            text = str(e).strip().splitlines()
            raise ModelImportError(
                f"{self.path.name}{f': line {line}' if line else ''}: {class_name} does not run on inputs of"
                f" shape {shapes} ({type(e).__name__}: {text[0] if text else ''}); check --input-shape") from None

    # ---- mapping -------------------------------------------------------------------------------
    def map(self, shapes: list[list[int]], ints: dict[str, int]) -> None:
        from .catalog import map_module
        from .fallback import as_code
        from .functions import map_function
        from .latent import find, layer

        live = self.live = self._live()
        self.latents = find(self, self.trains)
        inputs = iter(shapes)
        for node in self.gm.graph.nodes:
            if node.op != "placeholder" and node not in live:
                continue
            self.node = node
            try:
                if node.op == "placeholder":
                    value = self._input(node, next(inputs), ints)
                elif node.op == "output":
                    value = self._outputs(node)
                elif any(self.values.get(a) is BAD for a in node.all_input_nodes):
                    raise _Skip()  # fed by what could not be mapped: only that is reported
                elif node in self.latents:
                    value = layer(self, node)
                elif node.name in self.code:
                    value = as_code(self, node)
                elif not layout_free(self, node):
                    raise Unsupported(f"{_what(self, node)} on tensors whose batch is not their first dim")
                elif not _holds_tensor(self.results.get(node)):
                    value = NUMBER  # sizes and shapes: what uses them reads the shapes it was run with
                elif node.op == "get_attr":
                    value = ("parameter", str(node.target))
                elif node.op == "call_module":
                    value = map_module(self, node, self.gm.get_submodule(node.target))
                else:
                    value = map_function(self, node)
            except _Skip:
                value = BAD
            except Unsupported as u:
                value = self._provisional(node) if not u.final else BAD
                at, code = self.place(node)
                at = f"{at}: " if at else ""
                self.unsupported.append(f"{at}{u.what}" + (f"   ({code})" if code else ""))
                self.failed.append((self._blame(node), u))
            self.values[node] = value

    def _provisional(self, node: fx.Node):
        """A stand-in for a tensor this pass could not map (a Code layer next pass), so that what uses it is mapped
        and its own failures found in this same pass; the document of a pass with failures is not kept."""
        if not isinstance(self.results.get(node), torch.Tensor) or self.bdim(node) is None:
            return BAD
        return self.builder.add("Input", name=self.builder.graph.unique_name("pending"), shape=[1])

    def _blame(self, node: fx.Node) -> fx.Node:
        """The node whose call the catalog lacks: a recurrent or attention module's call when the failure came
        from taking its result apart, else the node itself."""
        for arg in node.all_input_nodes:
            owner = getattr(self.values.get(arg), "owner", None)
            if getattr(owner, "node", None) is not None:
                return owner.node
        return node

    def _input(self, node: fx.Node, shape: list[int], ints: dict[str, int]) -> str:
        params = {"shape": list(shape)}
        if node.name in ints:
            params.update(dtype="int", vocab_size=ints[node.name])
        return self.add("Input", [], params, name=str(node.target))

    def _outputs(self, node: fx.Node) -> None:
        items = node.args[0]
        items = [i for i in pytree.tree_leaves(items) if i is not None]
        if any(not isinstance(i, fx.Node) for i in items) or isinstance(node.args[0], dict):
            raise Unsupported("forward returns something other than tensors (or tuples of them): return the tensors"
                              " alone", final=True)
        kept = [i for i, item in enumerate(items) if item not in self.latents]  # mu, logvar: the layer's
        self.kept_outputs, self.dropped_outputs = kept, len(items) - len(kept)
        items = [items[i] for i in kept]
        for item in items:
            if self.bdim(item) is None:
                raise Unsupported(f"forward returns a tensor of shape {list(self.results[item].shape)} with the batch"
                                  " merged into another dim (as view(-1, n) does): return it with the batch as a dim"
                                  " of its own", final=True)
        ids = [self.tensor(i) for i in items]
        self.output_dims = [self.bdim(i) for i in items]
        for i in ids:
            self.add("Output", [i], {}, name="output")

    def _live(self) -> set[fx.Node]:
        """The nodes the outputs depend on (what forward computes and drops makes no layer)."""
        out = next(n for n in self.gm.graph.nodes if n.op == "output")
        seen, stack = set(), [out]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(n.all_input_nodes)
        return seen

    # ---- values --------------------------------------------------------------------------------
    def tensor(self, arg) -> str:
        """The layer id that gives this argument's tensor."""
        value = self.values.get(arg) if isinstance(arg, fx.Node) else arg
        if value is BAD:
            raise _Skip()
        if isinstance(value, str) or (isinstance(value, tuple) and len(value) == 2 and value[0] != "parameter"
                                      and all(isinstance(v, str) for v in value)):
            return value  # a layer's id, or (id, port) for one output of a layer with several
        if hasattr(value, "materialize"):
            return value.materialize(self)
        if isinstance(value, tuple) and value[:1] == ("parameter",):
            raise Unsupported(f"the model's own tensor '{value[1]}' used directly in forward (not a layer's)")
        raise Unsupported("a number or a constant where the catalog's layers take a tensor")

    def shape(self, arg) -> tuple[int, ...]:
        """The full shape the argument had when the model was run, batch first (as the document holds it)."""
        value = self.results.get(arg)
        if not isinstance(value, torch.Tensor):
            raise Unsupported("a value that is not a tensor")
        shape = list(value.shape)
        b = self.bdim(arg)
        if b:
            shape.insert(0, shape.pop(b))
        return tuple(shape)

    # ---- where the batch is ----------------------------------------------------------------------------
    def batch_from(self, dims: list[int]) -> None:
        """The batch dim of each input (its size is torch.export's symbol for the batch): values are then followed
        by where their batch is. Without symbols (symbolic tracing, a fixed batch) it is first everywhere."""
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        self.batch = set()
        for p, d in zip(placeholders, dims):
            val = p.meta.get("val")
            if isinstance(val, torch.Tensor) and d < val.dim() and isinstance(val.shape[d], torch.SymInt) \
                    and not val.shape[d].node.expr.is_number:  # (a batch torch.export fixed is a number)
                self.batch.add(str(val.shape[d].node.expr))

    def bdim(self, node) -> int | None:
        """Which dim of the node's tensor is the batch (0 for most; 1 for a sequence-first model's; None for a
        tensor without one, a constant or the batch merged with another dim)."""
        if not getattr(self, "batch", None) or not isinstance(node, fx.Node):
            return 0
        val = node.meta.get("val")
        if not isinstance(val, torch.Tensor):
            return 0
        for d, size in enumerate(val.shape):
            if isinstance(size, torch.SymInt) and str(size.node.expr) in self.batch:
                return d
        return None

    def add(self, layer: str, inputs: list[str], params: dict, name: str | None = None,
            weights: tuple[str, str] | None = None) -> str:
        """A layer of the document; `weights` = (the model's prefix, the prefix inside the layer)."""
        spec = get(layer)
        if not spec.accepts_int and self.node is not None and any(
                isinstance(v := self.results.get(a), torch.Tensor) and not (v.is_floating_point() or v.is_complex())
                for a in self.node.all_input_nodes):
            raise Unsupported(f"{layer} on integer or true/false values (the catalog's takes floats)")
        for key, value in params.items():
            param = spec.param(key)
            problem = param.type_error(value) or param.range_error(value)
            if problem:
                raise Unsupported(f"{layer} with {problem}")
        name = self._free_name(name or self._name_of(self.node, layer), layer)
        node_id = self.builder.add(layer, *inputs, name=name, pos=(0.0, 0.0), **params)
        if self.node is not None:
            self.origin[node_id] = self.node
        if weights is not None:
            source, inner = weights
            self.owners.append((source, f"{name}.{inner}" if inner else name))
        return node_id

    def owns(self, path: str, module: nn.Module) -> None:
        """A module with weights may become one layer only: netbuilder's layers do not share weights."""
        if any(True for _ in module.parameters()):
            if path in self.called:
                raise Unsupported(f"self.{path} is called more than once: its weights would be shared, and each"
                                  " netbuilder layer has weights of its own; give each call a module of its own"
                                  " (two nn.Linear, not one called twice)", final=True)
            self.called.add(path)

    def weights(self, theirs: dict, own: dict) -> dict:
        """The model's weights under the document's names (what could not be found stays missing)."""
        mapped = {}
        owners = sorted(self.owners, key=lambda o: -len(o[1]))
        for key in own:
            for source, target in owners:
                if key.startswith(target + "."):
                    found = f"{source}.{key[len(target) + 1:]}"
                elif key == target:
                    found = source
                else:
                    continue
                if found in theirs:
                    mapped[key] = theirs[found]
                break
        return mapped

    # ---- names and places ----------------------------------------------------------------------
    def where(self, node: fx.Node | None) -> tuple[int | None, str]:
        """(line, code) of the node's call in the user's file (the innermost such frame)."""
        if node is None or not node.stack_trace:
            return None, ""
        target = str(self.path.resolve())
        found, other = None, None
        for m in _FRAME.finditer(node.stack_trace):
            file = m.group("file")
            if _same_file(file, target):
                found = (int(m.group("line")), m.group("code").strip())
            elif "site-packages" not in file and "/torch/" not in file:
                other = (int(m.group("line")), m.group("code").strip())
        return found or other or (None, "")

    def place(self, node: fx.Node | None) -> tuple[str, str]:
        """("line N", code) of the node's call in the user's file; for a model of a package the user's file
        imports, ("module.py line N", code) of the innermost frame outside torch; ("", "") when none is known."""
        line, code = self.where(node)
        if line is not None:
            return f"line {line}", code
        frames = list(_FRAME.finditer(node.stack_trace or "")) if node is not None else []
        for m in reversed(frames):
            file = m.group("file")
            if "/torch/" not in file and "/torch\\" not in file:
                return f"{Path(file).name} line {m.group('line')}", m.group("code").strip()
        return "", ""

    def _assigned_names(self) -> dict[fx.Node, str]:
        """For a call that makes a variable (`block_add = a + b`), that variable's name, when only that line
        assigns it, no layer module is called on it, and the call is the last of its line."""
        nodes = [n for n in self.gm.graph.nodes if n.op not in ("placeholder", "output")]
        places = {n: self.where(n) for n in nodes}
        last: dict[tuple, fx.Node] = {}
        for n in nodes:
            if places[n][0] is not None:
                last[places[n], _inside(n)] = n  # per use of a module: each use of a block names its own
        lines: dict[tuple, set] = {}  # (variable, the class whose forward has the line) -> its assigning lines
        for n in nodes:
            m = _ASSIGN.match(places[n][1])
            if m:
                lines.setdefault((m.group(1), _scope(n)), set()).add(places[n][0])
        modules = {places[n][0] for n in nodes if n.op == "call_module"}
        taken = {str(n.target).replace(".", "_") for n in self.gm.graph.nodes  # inputs' and layers' names
                 if n.op in ("placeholder", "call_module")}
        names = {}
        for ((line, code), _), n in last.items():
            m = _ASSIGN.match(code)
            if m and n.op != "call_module" and line not in modules and len(lines[m.group(1), _scope(n)]) == 1 \
                    and m.group(1) not in taken:
                names[n] = m.group(1)
        return names

    def _name_of(self, node: fx.Node | None, layer: str = "layer") -> str:
        """The module's path, the variable the call makes, else the layer type numbered (relu1, relu2)."""
        if node is None:
            return layer.lower()
        if node.op == "call_module":
            return str(node.target).replace(".", "_")
        prefix = _inside(node).replace(".", "_") + "_" if _inside(node) else ""
        if node in self._names:
            return prefix + self._names[node]
        return self.builder.graph.unique_name(prefix + layer.lower())

    def _free_name(self, wanted: str, layer: str) -> str:
        graph = self.builder.graph
        wanted = re.sub(r"\W", "_", wanted)
        if name_problem(wanted) is None and graph.by_name(wanted) is None:
            return wanted
        stem = wanted.rstrip("0123456789_")
        return graph.unique_name(stem if stem and name_problem(stem) is None else layer.lower())


AGNOSTIC = {"relu", "sigmoid", "tanh", "silu", "gelu", "elu", "leaky_relu", "add", "mul", "sub", "truediv", "div",
            "neg", "exp", "log", "sqrt", "abs", "clamp", "clip", "dropout", "getitem", "contiguous", "softmax",
            "log_softmax"}
AGNOSTIC_MODULES = ("Linear", "Embedding", "Dropout", "LayerNorm", "ReLU", "GELU", "Tanh", "Sigmoid", "SiLU",
                    "LeakyReLU", "ELU", "Softmax", "LogSoftmax", "RNN", "LSTM", "GRU")


def layout_free(m: Mapper, node: fx.Node) -> bool:
    """Whether the node's rule may map it where the batch is not first: it works on the last dim or on each value
    alike, every tensor it takes has its batch where its result has it, and a dim it names is not moved."""
    from .functions import _arg, _name

    if node.target is operator.getitem and not isinstance(m.values.get(node.args[0]), (str, type(None))):
        return True  # taking a recurrent or attention module's result apart: its rule reads where the batch is
    tensors = [a for a in node.all_input_nodes if isinstance(m.results.get(a), torch.Tensor)]
    dims = {m.bdim(a) for a in tensors} | ({m.bdim(node)} if isinstance(m.results.get(node), torch.Tensor) else set())
    dims.discard(None)  # the model's own tensors and constants: no batch to follow
    if dims <= {0}:
        return True
    if node.op == "call_module":
        kind = type(m.gm.get_submodule(node.target)).__name__
        if kind in ("RNN", "LSTM", "GRU"):
            return True  # the recurrent rule reads where the batch is
        dim = getattr(m.gm.get_submodule(node.target), "dim", -1)
        return kind in AGNOSTIC_MODULES and len(dims) == 1 and (dim is None or dim < 0)
    name = _name(node)
    if name not in AGNOSTIC or len(dims) != 1:
        return False
    dim = _arg(node, 1, "dim", -1) if name in ("softmax", "log_softmax") else -1
    return isinstance(dim, int) and (dim < 0 or dim > max(dims))


def _what(m: Mapper, node: fx.Node) -> str:
    from .functions import _describe

    return f"self.{node.target}" if node.op == "call_module" else _describe(node)


def _inside(node: fx.Node) -> str:
    """The path of the innermost module a call was made inside ("" at the top)."""
    stack = node.meta.get("nn_module_stack") or {}
    inside = [path for path, _ in stack.values() if path]
    return inside[-1] if inside else ""


def _scope(node: fx.Node) -> str:
    """The class of the innermost module a call was made inside: two classes' forwards may use one variable name."""
    stack = [entry for entry in (node.meta.get("nn_module_stack") or {}).values() if entry[0]]
    return str(stack[-1][1]) if stack else ""


def _holds_tensor(value) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_holds_tensor(v) for v in value)
    return False


def _same_file(a: str, b: str) -> bool:
    try:
        return str(Path(a).resolve()) == b
    except (OSError, ValueError):
        return False
