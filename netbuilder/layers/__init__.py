"""The layer catalog: one declaration per layer type, read by every other part."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from ..graph.io import FileFormatError
from . import activation, arithmetic, block, code, conv, core, generative, merge, norm, padding, sequence, timestep
from .spec import Combine, Ctor, LayerSpec, Param, ShapeError, TensorType

CATALOG: dict[str, LayerSpec] = {
    spec.type: spec
    for module in (core, conv, padding, norm, activation, arithmetic, sequence, merge, generative, timestep, code)
    for spec in module.SPECS
}

CATEGORIES = ("Input/Output", "Core", "Convolution", "Pooling", "Padding", "Normalization", "Regularization",
              "Activation", "Math", "Reshape", "Recurrent", "Attention", "Merge", "Generative", "Custom")


def get(layer_type: str) -> LayerSpec:
    try:
        return CATALOG[layer_type]
    except KeyError:
        raise KeyError(f"unknown layer type '{layer_type}'") from None


def node_spec(layer_type: str, params: dict) -> LayerSpec | None:
    """The declaration a node of this type and params follows: the catalog's, with the ports its params give."""
    spec = CATALOG.get(layer_type)
    if spec is None or spec.ports is None:
        return spec
    try:
        inputs, outputs = spec.ports(params)
    except (KeyError, TypeError):
        return spec
    if (inputs, outputs) == (spec.inputs, spec.outputs):
        return spec
    return _with_ports(layer_type, tuple(inputs), tuple(outputs))


@lru_cache(maxsize=512)
def _with_ports(layer_type: str, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> LayerSpec:
    return replace(CATALOG[layer_type], inputs=inputs, outputs=outputs)


BLOCK_SPEC = block.SPECS[0]  # not in the catalog (not a layer of its own): an instance of one of the document's blocks


def check_node(layer_type: str, params: dict, where: str = "") -> dict:
    """Params of a node read from a file, checked for type and completed with defaults."""
    spec = CATALOG.get(layer_type) or (BLOCK_SPEC if layer_type == BLOCK_SPEC.type else None)
    if spec is None:
        raise FileFormatError(f"unknown layer type '{layer_type}'")
    out = spec.defaults()
    for name, value in params.items():
        param = spec.param(name)
        if param is None:
            raise FileFormatError(f"{layer_type} has no parameter '{name}'")
        error = param.type_error(value)
        if error:
            raise FileFormatError(error)
        out[name] = value
    return out


__all__ = ["CATALOG", "CATEGORIES", "get", "check_node", "new_node", "Combine", "Ctor", "LayerSpec", "Param",
           "ShapeError", "TensorType"]


def new_node(graph, layer_type: str, pos=(0.0, 0.0), name: str | None = None, **params):
    """A Node of `layer_type` with the catalog's defaults, a fresh id and a unique name.

    It is not in the graph yet: apply `AddNode(node)` to add it (so it can be undone)."""
    from ..graph.model import Node

    spec = get(layer_type)
    values = spec.defaults()
    values.update(params)
    return Node(graph.new_id(), layer_type, name or graph.unique_name(layer_type), values,
                (float(pos[0]), float(pos[1])))
