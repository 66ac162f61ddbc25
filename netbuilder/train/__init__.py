"""Training (no Qt): configuration, the one loop, recipes, callbacks.

Its names load on first use, so that reading a module of it (the settings, say) does not import torch: the
window shows before torch is loaded."""
from __future__ import annotations

import importlib

_WHERE = {"Callback": ".callbacks", "TrainConfig": ".config", "Epoch": ".loop", "Result": ".loop", "Step": ".loop",
          "Trainer": ".loop", "make_trainer": ".loop", "TrainingError": ".errors"}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_WHERE)
