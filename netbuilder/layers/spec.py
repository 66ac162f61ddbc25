"""What a layer declaration is made of: ports, a parameter schema, shape and build rules."""
from __future__ import annotations

import copy
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..graph.problems import Fix

_INTS = re.compile(r"-?\d+(?:\s*[xX×,]\s*-?\d+|\s+-?\d+)*\s*,?")  # 1x28x28, 1, 28, 28, 2 5, (4,), -1, 64


def read_ints(text: str) -> list[int] | None:
    """Whole numbers as people write a shape: '1x28x28', '1, 28, 28', '[2, 5]', '(4,)', '-1, 64'; [] for nothing
    written, None unless each two are apart by one x, comma or space ('4x', '4,,28' and '1.5' are not read)."""
    inner = str(text).strip()
    if inner[:1] + inner[-1:] in ("[]", "()"):
        inner = inner[1:-1].strip()
    if not inner:
        return []
    return [int(v) for v in re.findall(r"-?\d+", inner)] if _INTS.fullmatch(inner) else None


@dataclass(frozen=True)
class TensorType:
    """A tensor's shape without the batch dimension, and whether it holds floats or indices."""

    shape: tuple[int, ...]
    dtype: str = "float"  # or "int" (indices, values in [0, high))
    high: int | None = None

    @property
    def rank(self) -> int:
        return len(self.shape)

    def with_shape(self, *shape: int) -> "TensorType":
        return TensorType(tuple(int(s) for s in shape), self.dtype, self.high)

    def __str__(self) -> str:
        return "[" + ", ".join(["N", *map(str, self.shape)]) + "]"


def float_tensor(*shape: int) -> TensorType:
    return TensorType(tuple(int(s) for s in shape))


class ShapeError(Exception):
    """Raised by a shape rule; the analysis turns it into a Problem on the node."""

    def __init__(self, message: str, fix: Fix | None = None, port: str | None = None):
        super().__init__(message)
        self.message, self.fix, self.port = message, fix, port


MAX_WHOLE = 2**31 - 1  # no size of a layer is larger (torch's kernels index most sizes with 32 bits)
MAX_CODE = 100_000  # characters of a Code layer's source


def _is_literal(v: Any) -> bool:
    """A value JSON can hold and Python can write as a literal (an argument of a Code layer)."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    if isinstance(v, list):
        return all(_is_literal(x) for x in v)
    return isinstance(v, dict) and all(isinstance(k, str) and _is_literal(x) for k, x in v.items())


def _is_args(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k)
                                       and _is_literal(x) for k, x in v.items())


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int, float, bool, choice, ints (a list), pair (an int or two ints), code (Python source text), text,
    # args (keyword arguments: names to numbers, text, true/false, null or lists of them)
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    min_len: int = 1
    max_len: int = 8
    choice_help: tuple[tuple[str, str], ...] = ()  # (choice, what it means in plain words)

    def choice_text(self, choice: str) -> str:
        """What the choice `choice` means, in plain words ("" when the declaration does not say)."""
        return dict(self.choice_help).get(choice, "")

    def type_error(self, value: Any) -> str | None:
        """Why `value` has the wrong type for this parameter, or None."""
        def is_int(v):
            return isinstance(v, int) and not isinstance(v, bool)

        ok = {
            "int": lambda v: is_int(v),
            "float": lambda v: is_int(v) or isinstance(v, float),
            "bool": lambda v: isinstance(v, bool),
            "choice": lambda v: isinstance(v, str) and v in self.choices,
            "ints": lambda v: isinstance(v, list) and all(is_int(x) for x in v),
            "pair": lambda v: is_int(v) or (isinstance(v, list) and len(v) == 2 and all(map(is_int, v))),
            "code": lambda v: isinstance(v, str) and len(v) <= MAX_CODE,
            "text": lambda v: isinstance(v, str) and len(v) <= 200,
            "args": _is_args,
        }[self.kind](value)
        if ok:
            return None
        wanted = {
            "int": "a whole number", "float": "a number", "bool": "true or false",
            "choice": "one of " + ", ".join(repr(c) for c in self.choices),
            "ints": "a list of whole numbers", "pair": "a whole number or a list of two",
            "code": f"Python source text of at most {MAX_CODE:,} characters",
            "text": "text of at most 200 characters",
            "args": "keyword arguments: an object whose keys are Python names and whose values are numbers,"
                    " text, true/false, null or lists of them",
        }[self.kind]
        if self.kind == "code" and isinstance(value, str):
            return f"'{self.name}' must be {wanted}, not {len(value):,} characters"
        shown = repr(value)
        return f"'{self.name}' must be {wanted}, not {shown if len(shown) <= 80 else shown[:77] + '...'}"

    def range_error(self, value: Any) -> str | None:
        """Why a well-typed `value` is out of range, or None."""
        values = value if isinstance(value, list) else [value]
        if self.kind == "ints" and not self.min_len <= len(values) <= self.max_len:
            if self.min_len == self.max_len:
                return f"{self.name} needs exactly {self.min_len} values, not {len(values)}"
            return f"{self.name} needs {self.min_len} to {self.max_len} values, not {len(values)}"
        for v in values if self.kind in ("int", "float", "ints", "pair") else []:
            if isinstance(v, float) and not math.isfinite(v):  # JSON may hold NaN and Infinity
                return f"{self.name} must be a finite number (it is {v})"
            if self.min is not None and v < self.min:
                return f"{self.name} must be at least {_num(self.min)} (it is {_num(v)})"
            high = self.max if self.max is not None else MAX_WHOLE if self.kind != "float" else None
            if high is not None and v > high:
                return f"{self.name} must be at most {_num(high)} (it is {_num(v)})"
        return None


def _num(v: float) -> str:
    text = str(int(v)) if isinstance(v, int) or float(v).is_integer() else str(v)
    return text if len(text) <= 24 else f"{text[:8]}…({len(text)} digits)"


@dataclass(frozen=True)
class Ctor:
    """How to build a node's torch module: `cls(**kwargs)`; export writes the same call."""

    cls: type
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class Combine:
    """How a merge node joins its inputs without a module: a chain of `op` ("+" / "*") or
    a call of `function` (a torch function name, e.g. "torch.cat") on the list of inputs."""

    op: str | None = None
    function: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


INIT_HELP = (
    ("default", "PyTorch's own rule for the layer: random values in a range that shrinks as the layer's inputs grow"),
    ("xavier", "Xavier (Glorot): random values scaled so a signal keeps its spread going forward and back; suits"
               " tanh and sigmoid layers"),
    ("kaiming", "He (Kaiming): random values a little larger than Xavier's, for layers followed by a ReLU, which"
                " zeroes about half of what it gets"),
    ("normal", "small random values from a normal distribution of spread 0.02, as GANs (DCGAN) use"),
    ("zeros", "every weight zero: the units of the layer then all learn the same, so only for special cases"),
)
INITS = tuple(choice for choice, _ in INIT_HELP)
INIT = Param("init", "choice", "default", "How the weights start before training: default (PyTorch's rule), xavier"
             " (Glorot; for tanh, sigmoid), kaiming (He; for ReLU), normal (small, for GANs) or zeros",
             choices=INITS, choice_help=INIT_HELP)
TRAINABLE = Param("trainable", "bool", True, "Off freezes the layer: its weights do not change")
LR_SCALE = Param("lr_scale", "float", 1.0, "Multiplies the learning rate for this layer (below 1 for"
                 " pretrained layers that should change slowly)", min=0.0, max=1000.0)

ShapeRule = Callable[[dict, Sequence[TensorType]], "TensorType | list[TensorType]"]


@dataclass(frozen=True)
class LayerSpec:
    type: str
    category: str
    help: str
    params: tuple[Param, ...] = ()
    shape: ShapeRule | None = None
    module: Callable[[dict, Sequence[TensorType]], Ctor] | None = None
    combine: Callable[[dict, Sequence[TensorType]], Combine] | None = None
    inputs: tuple[str, ...] = ("in",)
    outputs: tuple[str, ...] = ("out",)
    variadic: bool = False  # inputs are in0, in1, ... (at least two)
    weights: str = "none"  # "none", "matrix" (init, trainable, lr_scale) or "norm" (trainable, lr_scale)
    accepts_int: bool = False
    key_params: tuple[str, ...] = ()
    ports: Callable[[dict], tuple[tuple[str, ...], tuple[str, ...]]] | None = None  # (inputs, outputs) that
    # depend on the node's params (a Code layer's forward, a Recurrent layer with its state); else the above

    @property
    def all_params(self) -> tuple[Param, ...]:
        extra = {"none": (), "matrix": (INIT, TRAINABLE, LR_SCALE), "norm": (TRAINABLE, LR_SCALE)}[self.weights]
        return self.params + extra

    def param(self, name: str) -> Param | None:
        for p in self.all_params:
            if p.name == name:
                return p
        return None

    def defaults(self) -> dict[str, Any]:
        return {p.name: (copy.deepcopy(p.default) if isinstance(p.default, (list, dict)) else p.default)
                for p in self.all_params}

    def input_ports(self, connected: Sequence[str] = ()) -> list[str]:
        """The input ports to show: fixed ones, or for a merge every connected in<k> plus one free."""
        if not self.variadic:
            return list(self.inputs)
        used = sorted((int(p[2:]) for p in connected if p.startswith("in") and p[2:].isdigit()))
        count = max([1] + [u + 1 for u in used]) + 1
        return [f"in{i}" for i in range(max(count, 2))]

    def is_input_port(self, port: str) -> bool:
        if self.variadic:
            return port.startswith("in") and port[2:].isdigit()
        return port in self.inputs
