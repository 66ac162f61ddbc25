"""Graph -> readable, standalone PyTorch source: one nn.Module class to paste anywhere."""
from __future__ import annotations

import inspect

from ..graph.model import Graph
from ..layers import modules as custom_modules
from .build import _class_name
from .plan import make_plan

INIT_CODE = {
    "xavier": "nn.init.xavier_uniform_(p)",
    "kaiming": "nn.init.kaiming_normal_(p, nonlinearity=\"relu\")",
    "normal": "nn.init.normal_(p, 0.0, 0.02)",
    "zeros": "nn.init.zeros_(p)",
}


def _call(cls: type, kwargs: dict) -> str:
    prefix = "" if cls.__module__ == custom_modules.__name__ else "nn."
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"{prefix}{cls.__name__}({args})"


def export_source(graph: Graph, network: str | None = None) -> str:
    steps = make_plan(graph, network)
    cls_name = _class_name(graph, network)
    custom = []
    init_lines, forward, outputs = [], [], []
    inputs = [s.name for s in steps if s.kind == "input"]
    for step in steps:
        args = ", ".join(step.args)
        if step.kind == "module":
            if step.ctor.cls.__module__ == custom_modules.__name__ and step.ctor.cls not in custom:
                custom.append(step.ctor.cls)
            init_lines.append(f"        self.{step.name} = {_call(step.ctor.cls, step.ctor.kwargs)}")
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
    imports = "import torch\nfrom torch import nn"
    if any("math." in s for s in sources):
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
