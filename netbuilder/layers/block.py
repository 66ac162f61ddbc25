"""A block: an instance of a network defined once in the document and used as one layer.

Its ports, shapes and module come from its definition (analysis/blocks.py); this declaration holds what every
block has: which definition, and how many times it is stacked."""
from __future__ import annotations

from .spec import LayerSpec, Param

WHICH = Param("block", "text", "", "Which of the document's blocks this is (Edit > Group into Block makes one)")
REPEAT = Param("repeat", "int", 1, "How many copies are stacked one after another, each with its own weights"
               " (for a block whose output has its input's shape: a ResNet stage, a Transformer stack)",
               min=1, max=64)

SPECS = [
    LayerSpec(
        "Block", "Blocks", "A group of layers defined once and used as one layer: double-click to open it."
        " The compiled model and the exported code hold one nn.Module class per block",
        params=(WHICH, REPEAT), inputs=(), outputs=(), accepts_int=True, key_params=("repeat",)),
]
