"""A batch size that forward fixes at the example's, and where: torch.export (non-strict) makes `len(x)`, a
number where the batch goes (`x.view(self.batch_size, ...)`) or `int(x.size(0))` into a guard that pins the
batch's size to the example's (Eq(s0, 2), Eq(6*s0, 12)). capture.py asks fixed_batch() whether that happened and
which line of the model's code added the guard (the Python stack when the guard was added, kept from
symbolic_shapes' "[guard added]" log record by guard_stacks()); model.py says it with fixed_at()."""
from __future__ import annotations

import contextlib
import logging
import re
import sysconfig
import traceback
from pathlib import Path

import sympy
import torch
from torch.fx.experimental.symbolic_shapes import is_concrete_int


class _GuardStacks(logging.Handler):
    """The Python stack at each guard torch.export adds (symbolic_shapes' "[guard added]" record is emitted while
    the guard is made, from inside the model's forward): which line of the model's code fixed a size."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.stacks: dict[str, traceback.StackSummary] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if "[guard added]" in str(record.msg) and isinstance(record.args, tuple) and len(record.args) > 1:
            self.stacks.setdefault(str(record.args[1]), traceback.extract_stack())


@contextlib.contextmanager
def guard_stacks():
    """{guard expression: the stack it was added at} of the captures run inside (nothing is printed)."""
    logger = logging.getLogger("torch.fx.experimental.symbolic_shapes")
    handler = _GuardStacks()
    level, propagate, handlers = logger.level, logger.propagate, list(logger.handlers)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.handlers = [handler]  # torch's own (TORCH_LOGS) would print what is only looked at here
    try:
        yield handler.stacks
    finally:
        logger.handlers = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def fixed_batch(program, batch_dims: list[int | None], stacks: dict | None = None):
    """None when every batch dim of the program's inputs is still a size; else where forward fixed it at the
    example's (the FrameSummary of the model's code where the first guard that pins it to a number was added,
    from `stacks` (guard_stacks) or the guard's own location; "" when none says)."""
    inputs = set(program.graph_signature.user_inputs)
    placeholders = [n for n in program.graph.nodes if n.op == "placeholder" and n.name in inputs]
    fixed = False
    for p, d in zip(placeholders, batch_dims):
        val = p.meta.get("val")
        if d is not None and isinstance(val, torch.Tensor) and d < val.dim() and is_concrete_int(val.shape[d]):
            fixed = True
    if not fixed:
        return None
    vals = [p.meta.get("val") for p in placeholders]
    env = next((v.fake_mode.shape_env for v in vals if getattr(getattr(v, "fake_mode", None), "shape_env", None)),
               None)
    for guard in getattr(env, "guards", []) if env is not None else []:
        if _pins(guard.expr, env):
            frame = _model_frame((stacks or {}).get(str(guard.expr))) or _user_frame(guard.sloc)
            if frame is not None:
                return frame
    return ""


def _model_frame(stack) -> traceback.FrameSummary | None:
    """The innermost frame of a stack that is the model's code: not torch's, Python's own or netbuilder's."""
    stdlib = str(Path(sysconfig.get_paths()["stdlib"]).resolve())
    own = str(Path(__file__).resolve().parents[2])
    for frame in reversed(stack or []):
        file = str(Path(frame.filename).resolve())
        if _torch_file(file) or file.startswith(own) or frame.filename.startswith("<"):
            continue
        if file.startswith(stdlib) and "site-packages" not in file:
            continue
        return frame
    return None


def _pins(expr, env) -> bool:
    """Whether a guard holds at its symbol's example value only (`Eq(s0, 2)`, `Eq(6*s0, 12)`), not at others
    (`Eq(s0, s1)` unifies two sizes, `Eq(Mod(s0, 2), 0)` keeps every even one)."""
    symbols = list(getattr(expr, "free_symbols", ()))
    if not isinstance(expr, sympy.Eq) or len(symbols) != 1:
        return False
    values = getattr(env, "backed_var_to_val", None)
    hint = (values if values is not None else env.var_to_val).get(symbols[0])
    try:
        return all(not bool(expr.subs(symbols[0], v)) for v in range(1, 65) if v != hint)
    except TypeError:  # a relation sympy cannot decide
        return False


def _user_frame(sloc):
    """The frame of the model's code a guard was added at (torch's own frames skipped), or None."""
    frame = getattr(sloc, "framework_loc", None)
    if isinstance(frame, traceback.FrameSummary) and not _torch_file(frame.filename):
        return frame
    user = getattr(sloc, "maybe_user_loc", None)  # strict export's: "code  # file.py:12 in forward"
    m = re.search(r"^(.*?)\s*# (\S+):(\d+) in (\w+)", user or "")
    if m and not _torch_file(m.group(2)):
        return traceback.FrameSummary(m.group(2), int(m.group(3)), m.group(4), line=m.group(1).strip())
    return None


def _torch_file(path: str) -> bool:
    return "/torch/" in path.replace("\\", "/")


def fixed_at(fixed, path: Path, batch: int) -> str:
    """Where the capture found the batch fixed at the example's (capture.fixed_batch), the construct and what
    keeps the batch a size; "" when it is not fixed."""
    if fixed is None:
        return ""
    if not fixed:  # no guard of the model's code says where
        return (f"the model fixes the batch size somewhere (torch.export found it fixed at the example's, {batch}),"
                " e.g. a reshape to a number instead of x.size(0) or -1")
    try:
        here = Path(fixed.filename).resolve() == path.resolve()
    except (OSError, ValueError):
        here = False
    line = f"line {fixed.lineno}" if here else f"{Path(fixed.filename).name} line {fixed.lineno}"
    code = (fixed.line or "").strip()
    if re.search(r"\blen\(", code):
        how = "len() of a tensor is a Python number; use x.size(0) or x.shape[0], which stay sizes"
    elif re.search(r"\bint\(|\.item\(|\.tolist\(", code):
        how = "int(), .item() and .tolist() make the batch a Python number; use x.size(0) as it is"
    else:
        how = ("a number (or an attribute) stands where the batch goes; use x.size(0), x.shape[0], or -1 in a"
               " reshape")
    return (f"{line}: the model fixes the batch size here, at the example's ({batch})"
            f"{f' (`{code}`)' if code else ''}: {how}")
