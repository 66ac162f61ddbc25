"""Graph -> readable, standalone PyTorch source: one nn.Module class to paste anywhere."""
from __future__ import annotations

import inspect
import re

from ..graph.model import Graph
from ..layers import code as code_layer
from ..layers import modules as custom_modules
from .build import _class_name
from .plan import make_plan
from ..graph.io import dumps

INIT_CODE = {
    "xavier": "nn.init.xavier_uniform_(p)",
    "kaiming": "nn.init.kaiming_normal_(p, nonlinearity=\"relu\")",
    "normal": "nn.init.normal_(p, 0.0, 0.02)",
    "zeros": "nn.init.zeros_(p)",
}


def _call(cls: type, kwargs: dict, name: str | None = None) -> str:
    prefix = "" if cls.__module__ in (custom_modules.__name__, code_layer.MODULE) else "nn."
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"{prefix}{name or cls.__name__}({args})"


def _code_classes(steps, taken: set[str]) -> dict[str, tuple[str, str]]:
    """For each Code layer step (by node id): (class name, its code). A class per distinct code, named after
    the first node that has it; a name already taken gets a number."""
    names: dict[str, str] = {}  # code -> class name
    out = {}
    for step in steps:
        if step.kind != "module" or step.ctor.cls.__module__ != code_layer.MODULE:
            continue
        code = step.params["code"]
        if code not in names:
            stem = code_layer.class_name(step.name)
            name, n = stem, 2
            while name in taken:
                name, n = f"{stem}{n}", n + 1
            taken.add(name)
            names[code] = name
        out[step.node] = (names[code], code)
    return out


class _Classes:
    """What one export writes besides the main class: helper modules, Code layer classes, block classes."""

    def __init__(self, taken: set[str]):
        self.taken = taken
        self.custom: list[type] = []
        self.sources: list[str] = []  # Code layer and block classes, each before the first class using it
        self.blocks: dict[str, str] = {}  # a sized block definition (as text) -> its class name
        self.needs_init = False

    def name(self, stem: str) -> str:
        name, n = stem, 2
        while name in self.taken:
            name, n = f"{stem}{n}", n + 1
        self.taken.add(name)
        return name


def export_source(graph: Graph, network: str | None = None) -> str:
    steps = make_plan(graph, network)
    cls_name = _class_name(graph, network)
    classes = _Classes({cls_name, "torch", "nn", "F", "math", "_init"})
    body = _class_source(steps, cls_name, classes)
    inputs = [s.name for s in steps if s.kind == "input"]
    sources = [inspect.getsource(cls).rstrip() for cls in classes.custom] + classes.sources
    imports = "import torch\nfrom torch import nn"
    if any(re.search(r"\bF\.", s) for s in sources):
        imports += "\nimport torch.nn.functional as F"
    if any(re.search(r"\bmath\.", s) for s in sources):
        imports = "import math\n\n" + imports
    parts = [f'"""{cls_name}: exported by netbuilder. Inputs: {", ".join(inputs)}."""\n\n' + imports]
    if classes.needs_init:
        parts.append(
            "def _init(module, fill):\n"
            "    \"\"\"Apply `fill` to the weight matrices of a module; biases start at zero.\"\"\"\n"
            "    with torch.no_grad():\n"
            "        for name, p in module.named_parameters():\n"
            "            if p.dim() >= 2:\n"
            "                fill(p)\n"
            "            elif name.split(\".\")[-1].startswith(\"bias\"):\n"
            "                p.zero_()")
    parts += sources + [body]
    return "\n\n\n".join(parts) + "\n"


def _block_class(step, classes: _Classes) -> str:
    """The class of a block sized for this step's inputs: one per block and sizing, written once."""
    name, definition = step.block
    key = name + "\n" + dumps(definition)
    if key not in classes.blocks:
        steps = make_plan(definition)
        classes.taken |= {s.ctor.cls.__name__ for s in steps if s.ctor}  # its layers' classes keep their names
        own = classes.name(name)
        classes.blocks[key] = own
        classes.sources.append(_class_source(steps, own, classes, f"Block {name}."))
    return classes.blocks[key]


def _class_source(steps, cls_name: str, classes: _Classes, doc: str | None = None) -> str:
    classes.taken |= {s.ctor.cls.__name__ for s in steps if s.ctor}
    coded = _code_classes(steps, classes.taken)
    for name, code in dict(coded.values()).items():
        if all(not src.startswith(f"class {name}(") for src in classes.sources):
            classes.sources.append(code_layer.source(code, name).rstrip())
    init_lines, forward, outputs = [], [], []
    inputs = [s.name for s in steps if s.kind == "input"]
    for step in steps:
        args = ", ".join(step.args)
        if step.kind == "module":
            if step.ctor.cls.__module__ == custom_modules.__name__ and step.ctor.cls not in classes.custom:
                classes.custom.append(step.ctor.cls)
            own = coded.get(step.node, (None, None))[0]
            init_lines.append(f"        self.{step.name} = {_call(step.ctor.cls, step.ctor.kwargs, own)}")
            how = step.params.get("init", "default")
            if how != "default":
                init_lines.append(f"        _init(self.{step.name}, lambda p: {INIT_CODE[how]})")
                classes.needs_init = True
            if not step.params.get("trainable", True):
                init_lines.append(f"        self.{step.name}.requires_grad_(False)  # frozen")
            forward.append(f"        {step.name} = self.{step.name}({args})")
        elif step.kind == "block":
            block = _block_class(step, classes)
            repeat = step.params.get("repeat", 1)
            made = f"{block}()" if repeat == 1 else f"nn.Sequential(*[{block}() for _ in range({repeat})])"
            init_lines.append(f"        self.{step.name} = {made}")
            forward.append(f"        {step.name} = self.{step.name}({args})")
        elif step.kind == "combine":
            c = step.combine
            if c.op is not None:
                expr = f" {c.op} ".join(step.args)
            else:
                extra = "".join(f", {k}={v!r}" for k, v in c.kwargs.items())
                expr = f"{c.function}([{args}]{extra})"
            forward.append(f"        {step.name} = {expr}")
        elif step.kind == "output":
            outputs.append(step.args[0])
    head = [f"class {cls_name}(nn.Module):"] + ([f'    """{doc}"""', ""] if doc else [])
    return "\n".join(head + ["    def __init__(self):",
                              "        super().__init__()",
                              *init_lines,
                              "",
                              f"    def forward(self, {', '.join(inputs)}):",
                              *forward,
                              f"        return {', '.join(outputs)}"])
