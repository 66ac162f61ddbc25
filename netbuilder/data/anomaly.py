"""Anomaly-detection protocols, a setting of the dataset (meta["data"]["anomaly"]): which samples are normal.

    {"protocol": "one_class", "class": 0}   one class is normal: train on it alone, validate and test on all
                                            (the standard benchmark protocol of Ruff et al., 2018)
    {"protocol": "held_out", "class": 1}    one class is the anomaly: train on the others, validate and test on all

The dataset is split as usual (stratified by class), then the training part keeps the normal samples only,
and every label becomes 0 (normal) or 1 (anomaly): the validation part keeps its labelled anomalies, to
choose a threshold on, and the test part is where the threshold is judged."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .raw import DataError, RawData

PROTOCOLS = ("one_class", "held_out")
LABELS = ["normal", "anomaly"]  # the class names of a dataset under a protocol: 0 normal, 1 anomaly


@dataclass
class ProtocolData(RawData):
    """A dataset relabelled by a protocol: y is 0 (normal) or 1 (anomaly); `original` keeps the class of each
    sample (and of the source's own test samples in `original_test`) for the views."""
    protocol: dict = field(default_factory=dict)
    original: torch.Tensor | None = None
    original_test: torch.Tensor | None = None
    original_names: list[str] = field(default_factory=list)


@dataclass
class AnomalyProtocol:
    protocol: str = ""  # "" (none), or one of PROTOCOLS
    which: int | str | None = None  # the class (its index or its name): normal, or the anomaly held out

    @classmethod
    def from_dict(cls, data) -> "AnomalyProtocol":
        data = data if isinstance(data, dict) else {}
        return cls(data.get("protocol", ""), data.get("class"))

    def to_dict(self) -> dict:
        return {"protocol": self.protocol, "class": self.which} if self.protocol else {}

    @property
    def active(self) -> bool:
        return bool(self.protocol)

    def problems(self, settings=None) -> list[str]:
        """What is wrong with the values (a mapping that is not one is said too), in words."""
        if settings is not None and not isinstance(settings, dict):
            return ["the anomaly protocol must be a mapping such as {\"protocol\": \"one_class\", \"class\": 0}"]
        unknown = sorted(set(settings or {}) - {"protocol", "class"})
        found = [f"the anomaly protocol has unknown keys {', '.join(map(repr, unknown))} (it takes protocol and"
                 " class)"] if unknown else []
        if not self.active:
            return found + (["the anomaly protocol names a class but no protocol: say one_class or held_out"]
                            if self.which is not None else [])
        if self.protocol not in PROTOCOLS:
            found.append(f"the anomaly protocol must be one of {', '.join(PROTOCOLS)}, not {self.protocol!r}")
        if self.which is None or isinstance(self.which, bool) or not isinstance(self.which, (int, str)) \
                or (isinstance(self.which, int) and self.which < 0):
            found.append(f"the anomaly protocol needs the class it is about (a class index from 0, or a class"
                         f" name), not {self.which!r}")
        return found

    def describe(self, name: str) -> str:
        if self.protocol == "one_class":
            return f"class {name} is normal: trained on it alone; every other class is an anomaly"
        return f"class {name} is the anomaly, held out of training; every other class is normal"

    def class_index(self, raw: RawData, label: str) -> int:
        """The index of the class the protocol is about; DataError naming the classes there are."""
        if raw.task != "classification":
            raise DataError(f"{label} has numbers to predict, not classes: an anomaly protocol needs a dataset"
                            " with classes (or train on the data as it is and score it)")
        names = [str(n) for n in (raw.class_names or range(raw.classes))]
        if isinstance(self.which, str) and self.which in names:
            return names.index(self.which)
        if isinstance(self.which, int) and not isinstance(self.which, bool) and self.which < len(names):
            return self.which
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        raise DataError(f"the anomaly protocol names class {self.which!r}, but {label} has the classes {shown}"
                        f" (by index 0 to {len(names) - 1}, or by name)")

    def apply(self, raw: RawData, train: torch.Tensor, label: str) -> tuple[RawData, torch.Tensor]:
        """The dataset relabelled 0 normal / 1 anomaly, and the training indices narrowed to normal samples."""
        if not self.active:
            return raw, train
        problems = self.problems()
        if problems:
            raise DataError(problems[0])
        index = self.class_index(raw, label)
        name = str((raw.class_names or list(range(raw.classes)))[index])

        def anomalous(y: torch.Tensor) -> torch.Tensor:
            return (y != index).long() if self.protocol == "one_class" else (y == index).long()

        kept = train[anomalous(raw.y[train]) == 0]
        if len(kept) == 0:
            why = (f"has no training samples of class {name}" if self.protocol == "one_class"
                   else f"has no training samples besides class {name}")
            raise DataError(f"{label} {why}: the anomaly protocol leaves nothing to train on")
        test = (raw.test[0], anomalous(raw.test[1])) if raw.test is not None else None
        notes = [*raw.notes, f"anomaly protocol: {self.describe(name)}"]
        relabelled = ProtocolData(raw.x, anomalous(raw.y), raw.kind, "classification", list(LABELS),
                                  raw.feature_names, notes, test, raw.inputs, self.to_dict(), raw.y,
                                  raw.test[1] if raw.test is not None else None,
                                  [str(n) for n in (raw.class_names or range(raw.classes))])
        return relabelled, kept


def under_protocol(prepared) -> bool:
    """Whether a prepared dataset is under an anomaly protocol (labels 0 normal, 1 anomaly)."""
    return isinstance(prepared.raw, ProtocolData)


def normal_part(part: tuple) -> tuple:
    """The normal samples of a (inputs..., labels) part: what a network trained on normal data is validated on."""
    keep = part[-1] == 0
    return tuple(t[keep] for t in part)
