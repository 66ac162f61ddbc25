"""The document's dataset (graph.meta["data"]): where the samples come from and how they are
prepared (split, normalised with training statistics only, augmented). `prepare` turns it into
train, validation and test tensors."""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..paths import why_missing
from .anomaly import AnomalyProtocol
from .augment import Augment
from .builtin import _digits_arrays, stratified_split
from .narrow import keep_classes, narrowed_training, settings_problems
from .raw import DataError, RawData
from ..section import Section

STANDARD = ("mnist", "fashion_mnist", "cifar10")
NORMALIZE = ("none", "standardize", "minmax")
NONE = "none"  # the source of a document without a dataset yet (an imported network): it trains once one is chosen
NO_DATASET = ("no dataset is chosen for this network yet: choose one in the Data panel (Train > Choose Data…)"
              " or with netbuilder train --dataset NAME|PATH")
KNOWN_SAMPLES = {"digits": ((1, 8, 8), 10), "mnist": ((1, 28, 28), 10), "fashion_mnist": ((1, 28, 28), 10),
                 "cifar10": ((3, 32, 32), 10)}  # (sample shape, classes) of the sets that are not generated


def builtin_names() -> list[str]:
    """Every source named by a word: digits, the synthetic sets and the standard ones."""
    from .synthetic import GENERATORS
    from .text import BUILTIN_TEXTS

    return ["digits", *GENERATORS, *STANDARD, *BUILTIN_TEXTS]


@dataclass
class DataSpec(Section):
    key, title = "data", "the dataset settings"
    source: str = "digits"  # a built-in name (see builtin_names) or the path of a file or folder
    options: dict = field(default_factory=dict)  # the generator's or loader's own options
    val_fraction: float = 0.15
    test_fraction: float = 0.15  # ignored when the source has its own test set (MNIST, CIFAR-10)
    normalize: str = "none"
    augment: dict = field(default_factory=dict)  # Augment's fields; images only
    seed: int = 0
    classes: list = field(default_factory=list)  # classification: the classes kept, relabelled 0..k-1; [] all
    labels_per_class: int = 0  # training samples kept of each class (0: all); see narrow.py
    anomaly: dict = field(default_factory=dict)  # an anomaly-detection protocol (data/anomaly.py); {}: none

    def to_dict(self) -> dict:
        """The settings as a document keeps them; narrowing and an anomaly protocol only where set, so a
        document that uses neither reads as before."""
        unset = {"classes": [], "labels_per_class": 0, "anomaly": {}}
        return {k: v for k, v in super().to_dict().items() if not (k in unset and v == unset[k])}

    def problems(self) -> list[str]:
        found = []
        if not isinstance(self.source, str) or not self.source.strip():
            found.append("the dataset source must be a name or a path")
        if not isinstance(self.options, dict):
            found.append("the dataset options must be a mapping of names to values")
        for name in ("val_fraction", "test_fraction"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                found.append(f"{name.replace('_', ' ')} must be a number from 0 up to (not including) 1")
        if not found and self.val_fraction + self.test_fraction >= 0.9:
            found.append("validation and test together must leave at least 10% of the samples to train on")
        if self.normalize not in NORMALIZE:
            found.append(f"normalize must be one of {', '.join(NORMALIZE)}, not {self.normalize!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**63:
            found.append(f"the dataset seed must be a whole number from 0 to {2**63 - 1:,}")
        found += settings_problems(self.classes, self.labels_per_class)
        found += Augment.from_dict(self.augment if isinstance(self.augment, dict) else {}).problems()
        found += AnomalyProtocol.from_dict(self.anomaly).problems(self.anomaly)
        if isinstance(self.options, dict) and isinstance(self.source, str) and self.source.strip():
            found += self.option_problems()
        return found

    def options_taken(self) -> list[str] | None:
        """The options its source takes (None: not known before it is read, as for a file that is not there)."""
        if self.source == "digits":
            return []
        from .text import TEXT_OPTIONS, is_text

        if is_text(self.source):
            return list(TEXT_OPTIONS)
        if self.source in STANDARD:
            return ["folder"]
        from .synthetic import GENERATORS

        if self.source in GENERATORS:
            return list(inspect.signature(GENERATORS[self.source]).parameters)
        from .files import loader

        path = Path(self.source).expanduser()
        try:
            load = loader(path) if path.exists() else None
        except DataError:
            return None
        return None if load is None else [p for p in inspect.signature(load).parameters
                                          if p not in ("path", "folder", "progress")]

    def option_problems(self) -> list[str]:
        """Options the source does not take: a mistake to say (a misspelt one would change nothing)."""
        taken = self.options_taken()
        unknown = sorted(set(self.options) - set(taken)) if taken is not None else []
        if not unknown:
            return []
        takes = f"it takes {', '.join(taken)}" if taken else "it takes none"
        return [f"{self.label}: unknown option{'s' * (len(unknown) > 1)} {', '.join(unknown)}; {takes}"]

    @property
    def is_path(self) -> bool:
        return self.source not in builtin_names() and self.source != NONE

    @property
    def label(self) -> str:
        return Path(self.source).name if self.is_path else self.source



@dataclass
class Prepared:
    raw: RawData  # kind, task, class names, notes
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    augment: Augment | None  # for training batches only
    stats: tuple[torch.Tensor, torch.Tensor] | None = None  # (shift, scale): x' = (x - shift) / scale
    indices: tuple = ()  # (train, validation, test) sample indices into raw (test None: the source's own)
    normalize: str = "none"

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.train[0].shape[1:])

    @property
    def outputs(self) -> int:
        """What the last layer should give: the number of classes, or the target's size."""
        if self.raw.task == "classification":
            return self.raw.classes
        return int(math.prod(self.raw.y.shape[1:])) or 1

    def shown(self, x: torch.Tensor) -> torch.Tensor:
        """Samples as they looked before normalisation (for pictures)."""
        return x * self.stats[1] + self.stats[0] if self.stats else x

    def named(self, name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The array raw.inputs[name] split like x (train, validation, test) and normalised with its own
        training statistics (split on demand: most networks have one Input and never ask)."""
        values = self.raw.inputs[name]
        train, val, test = self.indices
        test = test if test is not None else val[:0]
        own = fit_normalization(values[train], self.normalize)
        return tuple(((values[i] - own[0]) / own[1]) if own else values[i] for i in (train, val, test))

    def counts(self) -> dict[str, int]:
        return {"train": len(self.train[0]), "validation": len(self.val[0]), "test": len(self.test[0])}


def builtin_sample(name: str) -> tuple[tuple[int, ...], int]:
    """A built-in dataset's sample shape and the width a network's Output needs for it (its number of classes,
    or the size of its target), with its default options, without loading or downloading it (a generated set
    is made with a few samples)."""
    if name in KNOWN_SAMPLES:
        return KNOWN_SAMPLES[name]
    from .synthetic import make

    raw = make(name, n=20)
    width = raw.classes if raw.task == "classification" else math.prod(raw.y.shape[1:]) or 1
    return tuple(raw.x.shape[1:]), int(width)


def load_source(spec: DataSpec, progress=None, download: bool = False) -> RawData:
    """All samples of the source, as the loaders give them. Raises DataError with the reason."""
    if spec.source == NONE:
        raise DataError(NO_DATASET)
    options = dict(spec.options or {})
    unknown = spec.option_problems()
    if unknown:
        raise DataError(unknown[0])
    if spec.source == "digits":
        images, labels = _digits_arrays()
        x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
        return RawData(x, torch.tensor(labels, dtype=torch.long), "image", "classification",
                       [str(i) for i in range(10)])
    from .text import is_text, text_data, text_of

    if is_text(spec.source):
        return text_data(*text_of(spec.source), spec.val_fraction, spec.test_fraction, **options)[0]
    if spec.source in STANDARD:
        from .standard import load_standard

        return load_standard(spec.source, options.get("folder"), download_missing=download, progress=progress)
    from .synthetic import GENERATORS, make

    if spec.source in GENERATORS:
        return make(spec.source, **{"seed": spec.seed, **options})
    path = Path(spec.source).expanduser()
    if not path.exists() and path.is_symlink():
        raise DataError(f"'{spec.source}' is {why_missing(path)}")
    if not path.exists():
        raise DataError(f"'{spec.source}' is neither a built-in dataset ({', '.join(builtin_names())})"
                        " nor a file or folder that exists")
    from .files import loader

    load = loader(path)
    if path.is_dir():
        options["progress"] = progress
    return load(path, **options)


def split(raw: RawData, spec: DataSpec):
    """(train, val, test) index tensors: stratified by class for classification, seeded."""
    groups = raw.y if raw.task == "classification" else torch.zeros(len(raw.y), dtype=torch.long)
    fractions = (spec.val_fraction,) if raw.test is not None else (spec.val_fraction, spec.test_fraction)
    parts = stratified_split(groups, fractions, spec.seed)
    val, *rest = parts
    if raw.test is not None:
        return rest[0], val, None
    test, train = rest
    return train, val, test


def fit_normalization(x: torch.Tensor, how: str) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(shift, scale) from training samples: per feature for tables and sequences, per channel
    for images. A constant feature keeps scale 1 (no division by zero)."""
    if how == "none":
        return None
    dims = [0, *range(2, x.dim())] if x.dim() == 4 else list(range(x.dim() - 1))
    if how == "standardize":
        shift, scale = x.mean(dim=dims, keepdim=True), x.std(dim=dims, keepdim=True)
    else:
        shift = x.amin(dim=dims, keepdim=True)
        scale = x.amax(dim=dims, keepdim=True) - shift
    scale = torch.where(scale > 1e-12, scale, torch.ones_like(scale))
    return shift[0], scale[0]


def prepare(spec: DataSpec, progress=None, download: bool = False, raw: RawData | None = None) -> Prepared:
    problems = spec.problems()
    if problems:
        raise DataError("the dataset settings are not usable: " + "; ".join(problems))
    from .text import is_text

    if raw is None and is_text(spec.source):
        return _prepare_text(spec)
    raw = keep_classes(raw or load_source(spec, progress, download), spec.classes, spec.label)
    if len(raw.x) < 3:
        raise DataError(f"{spec.label} has {len(raw.x)} samples: at least 3 are needed to train, validate and test")
    train_idx, val_idx, test_idx = split(raw, spec)
    train_idx = narrowed_training(raw, (train_idx, val_idx, test_idx), spec)
    raw, train_idx = AnomalyProtocol.from_dict(spec.anomaly).apply(raw, train_idx, spec.label)
    if len(train_idx) == 0:
        raise DataError(f"{spec.label}: no samples are left to train on after the validation and test parts")
    stats = fit_normalization(raw.x[train_idx], spec.normalize)

    def part(x, y):
        return ((x - stats[0]) / stats[1] if stats else x), y

    test = part(*raw.test) if raw.test is not None else part(raw.x[test_idx], raw.y[test_idx])
    augment = Augment.from_dict(spec.augment)
    if augment.active and raw.kind != "image":
        raise DataError("augmentation (flips, rotations, crops...) is for images; this dataset is a "
                        f"{raw.kind}: turn augmentation off")
    return Prepared(raw, part(raw.x[train_idx], raw.y[train_idx]), part(raw.x[val_idx], raw.y[val_idx]), test,
                    augment if augment.active else None, stats, (train_idx, val_idx, test_idx), spec.normalize)


def _prepare_text(spec: DataSpec) -> Prepared:
    """A text: its windows split by contiguous ranges (data/text.py), as they are (no normalisation)."""
    from .text import text_data, text_of

    text, where = text_of(spec.source)
    if spec.normalize != "none" or Augment.from_dict(spec.augment).active:
        raise DataError(f"{where} is text: normalisation and augmentation do not apply to it; set normalize to"
                        " none and turn augmentation off")
    unknown = spec.option_problems()
    if unknown:
        raise DataError(unknown[0])
    raw, bounds = text_data(text, where, spec.val_fraction, spec.test_fraction, **spec.options)
    indices = tuple(torch.arange(start, end) for start, end in bounds)
    train, val, test = ((raw.x[i], raw.y[i]) for i in indices)
    return Prepared(raw, train, val, test, None, None, indices, "none")
