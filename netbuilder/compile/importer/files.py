"""The user's file: run as a module (stopped when it loops forever), its classes, forward's arguments, and the
command line's words for shapes and arguments; the messages' places (the line of the user's file)."""
from __future__ import annotations

import importlib.util
import inspect
import itertools
import json
import re
import sys
import traceback
from pathlib import Path

from torch import nn

from ...layers.code import TimeLimit
from ...layers.spec import read_ints
from ...paths import why_missing
from .rules import ModelImportError

LOAD_LIMIT_S = 120.0  # running the user's file stops after this long in its own lines (an endless loop); its
# imports count too, and a large package (MONAI, transformers) took over 20 s to import on a loaded machine
_count = itertools.count(1)


def load_file(path: str | Path):
    """Run the user's .py file as a module (its folder on sys.path for its own imports)."""
    path = Path(path)
    if not path.is_file():
        raise ModelImportError(f"{path}: {why_missing(path)}" if not path.exists() else f"{path}: not a regular file")
    if path.suffix != ".py":
        raise ModelImportError(f"{path}: not a Python file (.py)")
    name = f"_netbuilder_import_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}_{next(_count)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[name] = module  # dataclasses and inspect look their module up here
    try:
        with TimeLimit(LOAD_LIMIT_S, str(path)):
            spec.loader.exec_module(module)
    except SyntaxError as e:
        sys.modules.pop(name, None)
        raise ModelImportError(f"{path.name}: line {e.lineno}: a syntax error ({e.msg})") from None
    except BaseException as e:  # noqa: BLE001 - the user's code may raise anything, SystemExit included
        sys.modules.pop(name, None)
        if isinstance(e, KeyboardInterrupt):
            raise
        if hasattr(e, "code_line"):  # stopped by the time limit: code_line counts from the class header
            raise ModelImportError(f"{path.name}: line {e.code_line + 1}: still running after {LOAD_LIMIT_S:g} s while"
                                   " it is loaded (an endless loop?); loading a model file should only define"
                                   " things") from None
        raise ModelImportError(f"{path.name}{_line_in(e, path)}: raises {_first_line(e)} when it is"
                               " loaded") from None
    finally:
        sys.path.remove(folder)
    return module


def defined(path: str | Path, module=None) -> tuple[dict[str, type], list[str]]:
    """What the file itself defines, in order, from one loading: its nn.Module classes, and its public functions
    (what --factory can call to build the model, the way to build one from a config object)."""
    module = module or load_file(path)
    own = [obj for obj in vars(module).values() if getattr(obj, "__module__", None) == module.__name__]
    classes = [c for c in own if inspect.isclass(c) and issubclass(c, nn.Module)]
    functions = [f for f in own if inspect.isfunction(f) and not f.__name__.startswith("_")]
    return ({cls.__name__: cls for cls in sorted(classes, key=_first_lineno)},
            [fn.__name__ for fn in sorted(functions, key=_first_lineno)])


def forward_arguments(cls: type) -> list[str]:
    """forward's arguments after self (what each --input-shape is for), one with a default as it is written:
    ['src', 'has_mask=True'] (the import gives it nothing, unless more inputs than the others are described)."""
    try:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    return [p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def load_class(path: str | Path, class_name: str, module=None) -> type:
    module = module or load_file(path)
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls) or not issubclass(cls, nn.Module):
        own = [n for n, o in vars(module).items()
               if inspect.isclass(o) and issubclass(o, nn.Module) and o.__module__ == module.__name__]
        if not own:
            raise ModelImportError(f"{Path(path).name} defines no nn.Module class (so no '{class_name}')")
        what = "no class" if cls is None else "something that is not an nn.Module class called"
        raise ModelImportError(f"{Path(path).name} defines {what} '{class_name}' (its nn.Module classes:"
                               f" {', '.join(own) or 'none'})")
    return cls


def dims_of(text: str) -> list[int]:
    """'1x28x28', '1,28,28', '[2, 5]' or '(4,)' -> its sizes; [] unless they are 1 to 8 positive whole numbers
    written as a shape ('4x' is not one)."""
    shape = read_ints(text) or []
    return shape if shape and min(shape) >= 1 and len(shape) <= 8 else []


def parse_shape(text: str) -> list[int]:
    """'1x28x28' (or '1,28,28') -> [1, 28, 28]: one sample's shape, without the batch."""
    shape = dims_of(text)
    if not shape:
        raise ModelImportError(f"input shape '{text}' is not 1 to 8 positive whole numbers like 1x28x28"
                               " (one sample, without the batch)")
    return shape


def parse_args(text: str | None) -> dict | list:
    """--args: a JSON object of keyword arguments (or a list of positional ones) for the class."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelImportError(f"--args is not JSON ({e.msg} at column {e.colno}): give an object such as"
                               " '{\"hidden\": 64}'") from None
    if not isinstance(value, (dict, list)):
        raise ModelImportError("--args must be a JSON object of keyword arguments (or a list of positional ones),"
                               f" not {text}")
    return value


# ---- messages ----------------------------------------------------------------------------------
def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _line_in(e: BaseException, path: Path) -> str:
    """': line N' of the innermost frame of the traceback in the user's file, or ''."""
    target = str(path.resolve())
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        try:
            if str(Path(frame.filename).resolve()) == target:
                line = frame.lineno
        except (OSError, ValueError):
            continue
    return f": line {line}" if line else ""


def _first_lineno(obj) -> int:
    try:
        return inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return 0
