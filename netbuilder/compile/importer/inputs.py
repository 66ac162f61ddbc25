"""What the import is told about forward's inputs: `--input NAME:DTYPE:SHAPE` (a whole example's shape, the
batch included, in the layout the model uses: `tokens:int64:35,20`, `state:float32:2,20,200`); examples.py
reads them against the model.

    parse_input("tokens:int64:35,20")   # ("tokens", torch.int64, [35, 20])
"""
from __future__ import annotations

import re

import torch

from .files import dims_of
from .rules import ModelImportError

# The dtypes an input may have, by the names people write (torch's own names, with and without "torch.").
DTYPES = {
    "float32": torch.float32, "float": torch.float32, "float64": torch.float64, "double": torch.float64,
    "float16": torch.float16, "half": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "long": torch.int64, "int32": torch.int32, "int": torch.int32, "int16": torch.int16,
    "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool,
}
_EXAMPLE = "--input tokens:int64:35,20 (a name, a dtype such as float32 or int64, and the whole shape)"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_input(text: str) -> tuple[str, torch.dtype, list[int]]:
    """'NAME:DTYPE:SHAPE' -> (name, dtype, shape); ModelImportError naming the option and what it expects."""
    parts = str(text).strip().split(":")
    if len(parts) != 3:
        raise ModelImportError(f"--input '{text}' is not NAME:DTYPE:SHAPE, e.g. {_EXAMPLE}")
    name, dtype_text, shape_text = (p.strip() for p in parts)
    if not _NAME.match(name):
        raise ModelImportError(f"--input '{text}': '{name}' is not a name of forward's argument (letters, digits"
                               f" and _, not starting with a digit), e.g. {_EXAMPLE}")
    dtype = DTYPES.get(dtype_text.lower().removeprefix("torch."))
    if dtype is None:
        raise ModelImportError(f"--input '{text}': '{dtype_text}' is not a dtype; use one of"
                               f" {', '.join(sorted(set(DTYPES)))}")
    shape = dims_of(shape_text)
    if not shape:
        raise ModelImportError(f"--input '{text}': the shape '{shape_text}' is not 1 to 8 positive whole numbers"
                               " separated by commas, the batch included (35,20 or 2,20,200)")
    return name, dtype, shape


def parse_inputs(texts) -> list[tuple[str, torch.dtype, list[int]]]:
    """Each --input parsed, in order (one name given twice: an argument that is a tuple, an LSTM's (h, c))."""
    return [parse_input(t) for t in texts or []]
