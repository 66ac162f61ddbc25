"""netbuilder: build neural networks visually, train them and watch them learn.

Scripting API:
    graph = netbuilder.load_graph("net.json")
    model = netbuilder.build_model(graph)          # a torch.fx GraphModule
    out = model(*netbuilder.example_inputs(graph, batch_size=2))
    graph.save("copy.json")
"""
from __future__ import annotations

import os

from .builder import GraphBuilder
from .graph import Edge, FileFormatError, Graph, GraphError, Node, Problem

__version__ = "0.1.0"


def load_graph(path: str | os.PathLike) -> Graph:
    """Open a .json document. Raises FileFormatError with a clear message on a bad file."""
    from .graph.io import load
    from .layers import check_node

    return load(path, check_node)


def build_model(graph: Graph, network: str | None = None):
    """The graph as a torch.nn.Module (a torch.fx GraphModule). Raises GraphError on problems."""
    from .compile import build_model as build

    return build(graph, network)


def example_inputs(graph: Graph, batch_size: int = 2, network: str | None = None):
    """Random tensors shaped for the graph's Inputs, in the order the module's forward takes them."""
    from .compile import example_inputs as make

    return make(graph, batch_size, network)


def export_source(graph: Graph, network: str | None = None) -> str:
    """Readable standalone PyTorch source of the graph: one nn.Module class."""
    from .compile import export_source as export

    return export(graph, network)


__all__ = ["GraphBuilder", "Edge", "FileFormatError", "Graph", "GraphError", "Node", "Problem",
           "load_graph", "build_model", "example_inputs", "export_source"]
