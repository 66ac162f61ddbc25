"""The document model: no Qt, no torch."""
from .edits import (AddNode, Connect, Disconnect, Edit, Group, Move, RemoveNode, Rename, SetMeta,
                    SetParam, insert_between, move_nodes, remove_nodes)
from .io import FileFormatError
from .model import Edge, EditError, Graph, Node
from .problems import Fix, GraphError, Problem

__all__ = [
    "AddNode", "Connect", "Disconnect", "Edit", "Group", "Move", "RemoveNode", "Rename", "SetMeta",
    "SetParam", "insert_between", "move_nodes", "remove_nodes", "FileFormatError", "Edge",
    "EditError", "Graph", "Node", "Fix", "GraphError", "Problem",
]
