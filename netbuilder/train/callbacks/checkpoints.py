"""Checkpoints: last.pt after every epoch and best.pt when the recipe's watched metric improved, kept in
memory and written at most every CHECKPOINT_SECONDS and at the end of the run (serialising holds the
interpreter lock, which the window needs to stay smooth). Resuming reads them back."""
from __future__ import annotations

import math
import shutil
import time
from functools import partial
from pathlib import Path

import torch

from ...atomic import no_space, write_atomic
from ...paths import why_missing
from ..config import TrainConfig
from ..errors import TrainingError
from ..transfer import not_finite
from . import Callback

CHECKPOINT_SECONDS = 5.0  # the newest checkpoint on disk is at most this old while training


class Checkpoints(Callback):
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.unsaved: dict[str, dict] = {}  # file name -> state not yet written
        self.saved_at = -math.inf

    def on_epoch_end(self, trainer, epoch) -> None:
        state = trainer.state(epoch.epoch)
        self.unsaved["last.pt"] = state
        if trainer.improved:
            self.unsaved["best.pt"] = state
        if time.perf_counter() - self.saved_at >= CHECKPOINT_SECONDS:
            self.write(during=True)

    def on_train_end(self, trainer, result) -> None:
        self.write(during=False)

    def write(self, during: bool) -> None:
        try:
            write_states(self.folder, self.unsaved)
        except Exception as e:  # noqa: BLE001 - a folder that cannot be written, a state torch cannot save
            self.unsaved.clear()
            if no_space(e):  # the loop says it, with the epoch the run stopped after
                raise
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            if during:
                raise TrainingError(f"the checkpoints could not be written to {self.folder}: {reason}") from None
            raise OSError(f"The checkpoints could not be written: {reason}") from None
        self.saved_at = time.perf_counter()


def write_states(folder: Path, unsaved: dict[str, dict]) -> None:
    """Write each state to folder/name atomically (write_atomic: a crash or a full disk mid-write leaves the
    old file whole); a state listed twice (the best is also the last) is serialised once, then copied."""
    if not unsaved:
        return
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, state in unsaved.items():
        target = folder / name
        if id(state) in written:
            write_atomic(target, partial(_copy, written[id(state)]))
        else:
            write_atomic(target, partial(torch.save, state))
        written[id(state)] = target
    unsaved.clear()


def _copy(source: Path, out) -> None:
    with open(source, "rb") as f:
        shutil.copyfileobj(f, out)


def copy_state(state):
    """A snapshot of a state dict: tensors cloned, containers rebuilt."""
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {k: copy_state(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(copy_state(v) for v in state)
    return state


def read_checkpoint(path: Path, device="cpu") -> dict:
    """A checkpoint as a dict; TrainingError saying why it cannot be used."""
    if not path.is_file():
        raise TrainingError(f"there is no checkpoint to resume from at '{path}'" if not path.is_symlink() else
                            f"cannot resume from '{path}': it is {why_missing(path)}")
    if path.stat().st_size == 0:
        raise TrainingError(f"cannot resume from '{path.name}': the file is empty (a write was cut short)")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # noqa: BLE001 - a damaged or foreign file: torch raises many kinds
        raise TrainingError(f"cannot resume from '{path.name}': it is not a readable checkpoint"
                            f" ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise TrainingError(f"cannot resume from '{path.name}': it is not a netbuilder checkpoint")
    return state


def differences(theirs: dict, own: dict) -> list[str]:
    """How a checkpoint's weights differ from the network's, one entry per layer, in words."""
    found: dict[str, str] = {}
    for key, value in own.items():
        layer, _, rest = key.partition(".")
        if layer in found:
            continue
        if key not in theirs:
            found[layer] = f"{layer} is not in the checkpoint"
        elif not isinstance(theirs[key], torch.Tensor) or theirs[key].shape != value.shape:
            there = list(theirs[key].shape) if isinstance(theirs[key], torch.Tensor) else "not a tensor"
            found[layer] = f"{layer} ({rest} is {there} there and {list(value.shape)} here)"
    for key in theirs:
        layer = key.partition(".")[0]
        if key not in own and layer not in found:
            found[layer] = f"{layer} is only in the checkpoint"
    listed = list(found.values())
    return listed[:6] + ([f"and {len(listed) - 6} more"] if len(listed) > 6 else [])


def state_problem(state: dict, own: dict) -> str | None:
    """What makes a checkpoint (its names and shapes already match `own`, the network's state dict) unusable to
    go on from, in words: an epoch that is not a count, a best value that is not a number, weights of another
    type than the network's, or weights that are not finite (the run had diverged)."""
    epoch = state.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        return f"its epoch is {epoch!r}, not a whole number"
    if epoch < 0:
        return f"its epoch is {epoch}: epochs count from 0"
    best = state.get("best", state.get("best_val", math.inf))
    if not isinstance(best, (int, float)) or isinstance(best, bool) or math.isnan(best):
        return f"its best value so far is {best!r}, not a number"
    for key, value in state["model"].items():
        if key in own and value.dtype != own[key].dtype:
            return f"its weights are {_type(value)} ({key}) and this network's are {_type(own[key])}"
    bad = not_finite(state["model"])
    if bad:
        return (f"its weights hold NaN or infinite values ({bad}): the run had diverged when it was written;"
                " resume from another checkpoint (best.pt) or start a new run")
    return None


def _type(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def restore(trainer, path: Path) -> None:
    """Load a checkpoint into the trainer; it goes on after the checkpoint's epoch."""
    state = read_checkpoint(path, trainer.device)
    recipe = state.get("recipe", TrainConfig().recipe)  # checkpoints before recipes were the default's
    if recipe != trainer.config.recipe:
        raise TrainingError(f"cannot resume from '{path.name}': it is a checkpoint of a {recipe} run, and this"
                            f" run is {trainer.config.recipe}")
    own = trainer.model.state_dict()
    diff = differences(state["model"], own)
    if diff:
        raise TrainingError(f"cannot resume from '{path.name}': the network has changed since that run"
                            f" ({'; '.join(diff)})")
    optimizers = state.get("optimizers") or ({next(iter(trainer.optimizers)): state["optimizer"]}
                                             if "optimizer" in state else {})
    schedulers = state.get("schedulers") or ({next(iter(trainer.schedulers)): state["scheduler"]}
                                             if "scheduler" in state else {})
    problem = state_problem(state, own)
    if problem:
        raise TrainingError(f"cannot resume from '{path.name}': {problem}")
    bases = {k: list(s.base_lrs) for k, s in trainer.schedulers.items()}  # the rates set now, not that run's
    trainer.model.load_state_dict(state["model"])  # names, shapes and types were compared above
    for k in trainer.optimizers:
        if not isinstance(optimizers.get(k), dict) or not isinstance(schedulers.get(k), dict):
            raise TrainingError(f"cannot resume from '{path.name}': it holds no optimizer or schedule state"
                                f"{f' for the {k}' if len(trainer.optimizers) > 1 else ''}")
        try:
            trainer.optimizers[k].load_state_dict(optimizers[k])
        except (ValueError, KeyError, TypeError, IndexError):  # its parameter groups are not this network's
            raise TrainingError(f"cannot resume from '{path.name}': layers were frozen, unfrozen or given another"
                                " lr_scale since that run; start a new run instead") from None
        try:
            trainer.schedulers[k].load_state_dict(schedulers[k])
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            raise TrainingError(f"cannot resume from '{path.name}': its schedule state is damaged"
                                f" ({_first_line(e)})") from None
    try:
        trainer.recipe.load_state_dict(state.get("recipe_state") or {})
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RuntimeError) as e:
        raise TrainingError(f"cannot resume from '{path.name}': its {trainer.config.recipe} state is damaged"
                            f" ({_first_line(e)})") from None
    epoch, best = state["epoch"], float(state.get("best", state.get("best_val", math.inf)))
    if "shuffle" in state:
        try:
            trainer.gen.set_state(state["shuffle"])
        except (RuntimeError, TypeError):
            raise TrainingError(f"cannot resume from '{path.name}': its shuffling state is damaged") from None
    for k, scheduler in trainer.schedulers.items():
        factor = scheduler.lr_lambdas[0](scheduler.last_epoch)
        scheduler.base_lrs = bases[k]
        for group, base in zip(trainer.optimizers[k].param_groups, bases[k]):
            group["initial_lr"], group["lr"] = base, base * factor
    if epoch + 1 >= trainer.config.epochs:
        raise TrainingError(f"the checkpoint already has all {trainer.config.epochs} epochs:"
                            " raise epochs to train on")
    trainer.start_epoch, trainer.best = epoch + 1, best
