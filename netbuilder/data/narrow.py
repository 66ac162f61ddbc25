"""Narrowing a classification dataset: keep some of its classes (relabelled 0..k-1 in the order given) and
train on a few labelled samples of each, so "digits 5 to 9 with 20 labels each" is a setting of the data
spec (DataSpec.classes, DataSpec.labels_per_class), not a new file. Validation and test keep their share of
the chosen classes, so the few labels are judged on many samples."""
from __future__ import annotations

import re

import torch

from .raw import DataError, RawData

MAX_LABELS = 1_000_000


def settings_problems(classes, labels_per_class) -> list[str]:
    """What is wrong with the two settings as a document holds them (before the data is read)."""
    found = []
    if not isinstance(classes, list) or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0
                                                for c in classes):
        found.append("classes must be a list of class numbers (0, 1, ...), or empty for every class")
    elif len(set(classes)) != len(classes):
        twice = sorted({c for c in classes if classes.count(c) > 1})
        found.append(f"classes lists {', '.join(map(str, twice))} twice")
    elif len(classes) == 1:
        found.append("classes must keep at least two classes (one class leaves nothing to tell apart)")
    if not isinstance(labels_per_class, int) or isinstance(labels_per_class, bool) \
            or not 0 <= labels_per_class <= MAX_LABELS:
        found.append(f"labels per class must be a whole number from 0 (every training sample) to {MAX_LABELS:,}")
    return found


def parse_classes(text: str) -> list[int]:
    """"5-9", "0, 2, 4" or "1 3 7-9" as a list of class numbers; "" is every class. DataError says what
    part of the text is not a number or a range."""
    found: list[int] = []
    for part in [p for p in re.split(r"[,\s]+", text.strip()) if p]:
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise DataError(f"classes: '{part}' is neither a class number nor a range such as 5-9")
        low, high = int(match[1]), int(match[2] or match[1])
        if high < low:
            raise DataError(f"classes: the range '{part}' runs backwards; write {high}-{low}")
        found += [c for c in range(low, high + 1) if c not in found]
    return found


def classes_text(classes: list[int]) -> str:
    """The inverse of parse_classes, with runs written as ranges: [5, 6, 7, 8, 9] -> "5-9"."""
    runs: list[list[int]] = []
    for c in classes:
        if runs and c == runs[-1][-1] + 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def keep_classes(raw: RawData, classes: list[int], label: str) -> RawData:
    """`raw` with only the samples of `classes` (its own test set too), relabelled 0..k-1 in that order."""
    if not classes:
        return raw
    if raw.task != "classification":
        raise DataError(f"{label}: only a classification dataset can be narrowed to some classes; this one is"
                        " regression: clear the classes setting")
    names = raw.class_names or [str(i) for i in range(raw.classes)]
    absent = [c for c in classes if c >= len(names)]
    if absent:
        raise DataError(f"{label} has classes 0 to {len(names) - 1}: there is no class "
                        f"{', '.join(map(str, absent))}")
    table = torch.full((len(names),), -1, dtype=torch.long)
    table[torch.tensor(classes)] = torch.arange(len(classes))

    def narrowed(x, y):
        keep = table[y] >= 0
        return x[keep], table[y[keep]], keep

    x, y, keep = narrowed(raw.x, raw.y)
    test = narrowed(*raw.test)[:2] if raw.test is not None else None
    kept = [names[c] for c in classes]
    note = (f"narrowed to classes {', '.join(kept)}, relabelled 0 to {len(classes) - 1} in that order"
            if kept != [str(i) for i in range(len(kept))] else f"narrowed to classes 0 to {len(classes) - 1}")
    return RawData(x, y, raw.kind, raw.task, kept, raw.feature_names, [*raw.notes, note], test,
                   {k: v[keep] for k, v in raw.inputs.items()})


def keep_labels(train: torch.Tensor, y: torch.Tensor, per_class: int, seed: int, names: list[str]) -> torch.Tensor:
    """The first `per_class` training indices of each class in a seeded shuffle (all when 0). A class with
    fewer training samples than asked is a DataError naming it."""
    if per_class <= 0:
        return train
    gen = torch.Generator().manual_seed(seed + 1)  # not the split's own order
    labels = y[train]
    kept = []
    for label in labels.unique():
        members = train[labels == label]
        if len(members) < per_class:
            raise DataError(f"class {names[int(label)]} has {len(members)} training samples, fewer than the "
                            f"{per_class} labels per class asked: ask for fewer, or give validation and test "
                            "a smaller share")
        kept.append(members[torch.randperm(len(members), generator=gen)[:per_class]])
    return torch.cat(kept)


def check_parts(y: torch.Tensor, parts: dict[str, torch.Tensor | None], names: list[str], label: str) -> None:
    """Every class in every part that has samples: a part left without one is a DataError naming both."""
    for part, labels in parts.items():
        if labels is None or not len(labels):
            continue
        seen = set(labels.unique().tolist())
        missing = [names[c] for c in range(len(names)) if c not in seen]
        if missing:
            which = ", ".join(missing[:8]) + ("…" if len(missing) > 8 else "")
            raise DataError(f"{label}: the {part} part has no sample of class{'es' * (len(missing) > 1)} {which}"
                            f" (of the {len(y):,} samples kept); give {part} a larger share, or choose classes"
                            " with more samples")


def narrowed_training(raw: RawData, parts: tuple, spec) -> torch.Tensor:
    """The training indices once `spec.labels_per_class` is applied; when the spec narrows anything, every kept
    class must have samples in every part (DataError otherwise)."""
    train, val, test = parts
    if not (spec.classes or spec.labels_per_class):
        return train
    if raw.task != "classification":
        raise DataError(f"{spec.label}: labels per class is for classification datasets; this one is regression:"
                        " set it to 0")
    names = raw.class_names or [str(i) for i in range(raw.classes)]
    train = keep_labels(train, raw.y, spec.labels_per_class, spec.seed, names)
    check_parts(raw.y, {"training": raw.y[train], "validation": raw.y[val],
                        "test": raw.test[1] if raw.test is not None else raw.y[test]}, names, spec.label)
    return train


def narrowing_words(data: dict) -> str:
    """How a document's data (meta["data"]) is narrowed, for a line saying what it trains on: " (classes 5-9,
    20 labels each)", or "" when it is not (or the settings are not readable)."""
    classes, per_class = data.get("classes", []), data.get("labels_per_class", 0)
    if settings_problems(classes, per_class):
        return ""
    said = ([f"classes {classes_text(classes)}"] if classes else []) + \
        ([f"{per_class} labels each"] if per_class else [])
    return f" ({', '.join(said)})" if said else ""
