"""Which names a layer may not have. A node's name becomes an attribute of the compiled module (an
nn.Module, an fx.GraphModule) and a variable of the exported forward(), so it may not be anything either
already has, nor a name that code uses. Decided here, from torch itself; graph/reserved_names.txt is this
set written out (scripts/reserved_names.py) so the document can check names without importing torch,
and a test keeps the two equal."""
from __future__ import annotations

import keyword

GENERATED = ("torch", "nn", "math", "self", "super", "_init")  # names the exported source itself uses


def reserved_names() -> set[str]:
    import torch
    from torch import fx, nn

    del torch
    traced = fx.symbolic_trace(nn.Identity())  # what a compiled module holds besides its class's attributes
    names = set(dir(nn.Module)) | set(dir(fx.GraphModule)) | set(vars(nn.Module())) | set(vars(traced))
    return names | set(GENERATED) | set(keyword.kwlist) | set(keyword.softkwlist)
