"""Graph -> readable, standalone PyTorch source: one nn.Module class to paste anywhere."""
from __future__ import annotations

import inspect
import re

from ..graph.model import Graph
from ..layers import code as code_layer
from ..layers import modules as custom_modules
from .build import _class_name
from .plan import make_plan

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


def export_source(graph: Graph, network: str | None = None) -> str:
    steps = make_plan(graph, network)
    cls_name = _class_name(graph, network)
    custom = []
    taken = {cls_name, "torch", "nn", "F", "math", "_init"} | {s.ctor.cls.__name__ for s in steps if s.ctor}
    coded = _code_classes(steps, taken)
    init_lines, forward, outputs = [], [], []
    inputs = [s.name for s in steps if s.kind == "input"]
    for step in steps:
        args = ", ".join(step.args)
        if step.kind == "module":
            if step.ctor.cls.__module__ == custom_modules.__name__ and step.ctor.cls not in custom:
                custom.append(step.ctor.cls)
            own = coded.get(step.node, (None, None))[0]
            init_lines.append(f"        self.{step.name} = {_call(step.ctor.cls, step.ctor.kwargs, own)}")
            how = step.params.get("init", "default")
            if how != "default":
                init_lines.append(f"        _init(self.{step.name}, lambda p: {INIT_CODE[how]})")
            if not step.params.get("trainable", True):
                init_lines.append(f"        self.{step.name}.requires_grad_(False)  # frozen")
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
    needs_init = any("_init(" in line for line in init_lines)
    sources = [inspect.getsource(cls).rstrip() for cls in custom]
    sources += [code_layer.source(code, name).rstrip() for name, code in dict(coded.values()).items()]
    imports = "import torch\nfrom torch import nn"
    if any(re.search(r"\bF\.", s) for s in sources):
        imports += "\nimport torch.nn.functional as F"
    if any(re.search(r"\bmath\.", s) for s in sources):
        imports = "import math\n\n" + imports
    parts = [f'"""{cls_name}: exported by netbuilder. Inputs: {", ".join(inputs)}."""\n\n' + imports]
    parts += sources
    if needs_init:
        parts.append(
            "def _init(module, fill):\n"
            "    \"\"\"Apply `fill` to the weight matrices of a module; biases start at zero.\"\"\"\n"
            "    with torch.no_grad():\n"
            "        for name, p in module.named_parameters():\n"
            "            if p.dim() >= 2:\n"
            "                fill(p)\n"
            "            elif name.split(\".\")[-1].startswith(\"bias\"):\n"
            "                p.zero_()")
    body = [f"class {cls_name}(nn.Module):",
            "    def __init__(self):",
            "        super().__init__()",
            *init_lines,
            "",
            f"    def forward(self, {', '.join(inputs)}):",
            *forward,
            f"        return {', '.join(outputs)}"]
    parts.append("\n".join(body))
    return "\n\n\n".join(parts) + "\n"
