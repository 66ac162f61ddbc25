"""The user's own data as RawData, by what the path is: a folder of images, a CSV file, or NumPy
arrays (.npz with x and y, or a pair of .npy files). CSV lives in tabular.py, images in images.py."""
from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import torch

from ..paths import why_missing
from .images import load_image_folder
from .raw import DataError, RawData
from .tabular import few, load_csv

__all__ = ["load_csv", "load_image_folder", "load_numpy", "load_path"]

ARRAY_PAIRS = (("x", "y"), ("data", "labels"), ("images", "labels"))  # matched ignoring case
TARGETS = ("y", "labels", "label", "target", "targets")  # beside arrays named after the Inputs
NPY_MAGIC, ZIP_MAGIC = b"\x93NUMPY", b"PK"


def load_path(path, **options) -> RawData:
    """A directory -> load_image_folder; .csv/.tsv/.txt -> load_csv; .npz/.npy -> load_numpy."""
    path = Path(path)
    return loader(path)(path, **options)


def loader(path: Path):
    """The function that reads `path`; DataError when none can (or it is not a regular file or folder)."""
    if path.is_dir():
        return load_image_folder
    if not path.exists():
        raise DataError(f"{path}: {why_missing(path)}" if path.is_symlink() else f"{path} does not exist")
    if not path.is_file():
        raise DataError(f"{path} is not a regular file (a device, a pipe or a socket): netbuilder reads files")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        from .text import load_text, looks_like_table

        return load_csv if looks_like_table(path) else load_text
    if suffix in (".csv", ".tsv"):
        return load_csv
    if suffix in (".npz", ".npy"):
        return load_numpy
    what = f"'{suffix}'" if suffix else "a file without an extension"
    raise DataError(f"{path.name}: netbuilder reads CSV, .npy/.npz and folders of images, not {what}")


def load_numpy(path, y_path=None) -> RawData:
    """x and y from one .npz, or from two .npy files (y_path, or a sibling such as y.npy or
    <stem>_y.npy). Whole-number y is a class label, float y a regression target."""
    path = Path(path)
    notes: list[str] = []
    named: dict[str, np.ndarray] = {}
    if _magic(path) == ZIP_MAGIC:
        x, y, names, named = _from_npz(path)
    else:
        if y_path is None:
            y_path = _find_labels(path)
            notes.append(f"read the labels from {y_path.name}, next to {path.name}")
        y_path = Path(y_path)
        _magic(y_path)
        x, y, names = _array(path, path.name), _array(y_path, y_path.name), (path.name, y_path.name)
    raw = _raw(x, y, names, notes)
    if named:  # arrays by name: one per Input of a network with several (x's own is raw.x, not a copy)
        x_key = names[0].split(" in ")[0]
        raw.inputs = {k: raw.x if k == x_key else _input(v, f"{k} in {path.name}", len(raw.y))
                      for k, v in named.items()}
    return raw


CHUNK = 1 << 16  # samples checked at a time: a check of a big array must not double its memory


def _check_finite(values: np.ndarray, name: str) -> None:
    flat = values.reshape(len(values), -1)
    for start in range(0, len(flat), CHUNK):
        bad = ~np.isfinite(flat[start:start + CHUNK])
        if bad.any():
            total = sum(int((~np.isfinite(flat[i:i + CHUNK])).sum()) for i in range(start, len(flat), CHUNK))
            raise DataError(f"{name} has {total} NaN or infinite values "
                            f"(the first in sample {start + int(bad.any(axis=1).argmax())}, counting from 0)")


def _input(array: np.ndarray, name: str, n: int) -> torch.Tensor:
    if array.dtype.kind not in "biuf" or array.ndim == 0:
        raise DataError(f"{name} is not an array of numbers per sample (dtype {array.dtype}, shape {array.shape})")
    if len(array) != n:
        raise DataError(f"{name} has {len(array)} samples but the target has {n}")
    values = array.astype(np.float32).reshape(n, -1) if array.ndim == 1 else array.astype(np.float32)
    if array.dtype.kind == "f":
        _check_finite(values, name)
    return torch.from_numpy(values)


def _magic(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            start = file.read(6)
    except OSError as exc:
        raise DataError(f"could not read {path.name}: {exc.strerror or exc}") from None
    for magic in (NPY_MAGIC, ZIP_MAGIC):
        if start.startswith(magic):
            return magic
    raise DataError(f"{path.name} is not a NumPy .npy or .npz file")


def _loaded(load, what: str):
    try:
        return load()
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Python objects" in str(exc):
            raise DataError(f"{what} holds Python objects (an object array), which netbuilder does not load "
                            "because unpickling can run code: save plain numeric arrays") from None
        raise DataError(f"could not read {what}: {exc}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:  # a truncated or damaged file
        raise DataError(f"could not read {what}: {exc}") from None


def _header_fits(stream, available: int, what: str) -> None:
    """The .npy header's shape and dtype must fit in the bytes that follow it: a damaged or hostile header
    must not make numpy ask for more memory than the file holds."""
    try:
        version = np.lib.format.read_magic(stream)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(stream)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"could not read {what}: its header is damaged ({exc})") from None
    need = math.prod(shape) * dtype.itemsize
    left = available - stream.tell()
    if need > left:
        raise DataError(f"{what} says it holds {list(shape)} {dtype} ({need:,} bytes) but only {left:,} bytes"
                        " follow its header: the file is truncated or damaged")


def _array(path: Path, what: str) -> np.ndarray:
    """A .npy file, mapped rather than read (pages come in as they are converted)."""
    def load():
        with open(path, "rb") as stream:
            _header_fits(stream, path.stat().st_size, what)
        return np.load(path, allow_pickle=False, mmap_mode="r")
    return _loaded(load, what)


def _member(archive, key: str, what: str) -> np.ndarray:
    """One array of an .npz, its header checked against the size the archive records for it."""
    info = archive.zip.getinfo(f"{key}.npy")
    with archive.zip.open(info) as stream:
        _header_fits(stream, info.file_size, what)
    return archive[key]


def _from_npz(path: Path) -> tuple[np.ndarray, np.ndarray, tuple[str, str], dict[str, np.ndarray]]:
    """x, y, their names, and every array but the target by name (for a network with several Inputs)."""
    def pair():
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:  # closed even when damaged
            keys = {k.lower(): k for k in archive.files}
            found = ", ".join(f"'{k}'" for k in archive.files) or "none"
            names = next(((keys[x], keys[y]) for x, y in ARRAY_PAIRS if x in keys and y in keys), None)
            if names is None:  # arrays named after a network's Inputs, and a target
                target = next((keys[t] for t in TARGETS if t in keys), None)
                others = [k for k in archive.files if k != target]
                if target is None or not others:
                    raise DataError(f"{path.name} has no x and y arrays (it has {found}): netbuilder looks for "
                                    "x and y (or X and Y, data and labels, images and labels), or arrays named "
                                    "after the network's Inputs beside a target called y")
                names = (others[0], target)
            arrays = {k: _loaded(lambda k=k: _member(archive, k, f"{k} in {path.name}"), f"{k} in {path.name}")
                      for k in archive.files}
            return names, arrays

    (xk, yk), arrays = _loaded(pair, path.name)
    inputs = {k: v for k, v in arrays.items() if k != yk}
    return arrays[xk], arrays[yk], (f"{xk} in {path.name}", f"{yk} in {path.name}"), inputs


def _find_labels(x_path: Path) -> Path:
    stem = x_path.stem
    names = []
    for tail in ("x", "X"):
        if stem == tail or stem.endswith((f"_{tail}", f"-{tail}")):
            names.append(f"{stem[:-1]}{'y' if tail == 'x' else 'Y'}.npy")
    names += [f"{stem}_y.npy", f"{stem}_labels.npy", "y.npy", "labels.npy"]
    names = [n for n in dict.fromkeys(names) if n != x_path.name]
    for name in names:
        if (x_path.parent / name).is_file():
            return x_path.parent / name
    raise DataError(f"found no labels for {x_path.name}: looked for {', '.join(names)} next to it "
                    "(or choose the labels file)")


def _raw(x: np.ndarray, y: np.ndarray, names: tuple[str, str], notes: list[str]) -> RawData:
    x_name, y_name = names
    for array, name in ((x, x_name), (y, y_name)):
        if array.ndim == 0 or len(array) == 0:
            raise DataError(f"{name} has no samples (shape {array.shape})")
    if x.dtype.kind not in "biuf":
        raise DataError(f"{x_name} is not numeric (its dtype is {x.dtype})")
    if len(x) != len(y):
        raise DataError(f"{x_name} has {len(x)} samples but {y_name} has {len(y)}")
    x, kind = _shaped(x, x_name, notes)
    values = x.astype(np.float32, copy=False)
    if not values.flags.writeable:  # a mapped .npy of float32 as it is: copy it once, to own it
        values = np.array(values)
    if x.dtype.kind == "f":  # whole numbers are always finite
        _check_finite(values, x_name)
    y, task, class_names = _labels(y, y_name, notes)
    return RawData(torch.from_numpy(values), torch.from_numpy(y), kind, task, class_names, None, notes)


def _shaped(x: np.ndarray, name: str, notes: list[str]) -> tuple[np.ndarray, str]:
    if x.ndim == 1:
        notes.append(f"{name} has one number per sample: read as a table with one column")
        return x[:, None], "table"
    if x.ndim in (2, 3):
        return x, ("table", "sequence")[x.ndim - 2]
    if x.ndim > 4:
        raise DataError(f"{name} has {x.ndim} dimensions (shape {x.shape}): netbuilder reads tables [N, F], "
                        "sequences [N, T, F] and images [N, C, H, W]")
    if x.shape[1] not in (1, 3):
        if x.shape[3] not in (1, 3):
            raise DataError(f"{name} has shape {x.shape}: images need 1 or 3 channels, as [N, C, H, W] "
                            "or [N, H, W, C]")
        x = x.transpose(0, 3, 1, 2)
        notes.append(f"{name} is channels-last [N, H, W, C]: converted to [N, C, H, W]")
    if x.dtype == np.uint8:
        x = x.astype(np.float32)  # then divided in place: no float64 copy of every pixel
        x /= 255.0
        notes.append(f"{name} holds bytes 0..255: divided by 255 to give 0..1")
    return x, "image"


def _labels(y: np.ndarray, name: str, notes: list[str]) -> tuple[np.ndarray, str, list[str] | None]:
    if y.dtype.kind == "f":
        values = y.astype(np.float32)
        bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
        if bad.any():
            raise DataError(f"{name} has NaN or infinite values in {int(bad.sum())} samples "
                            f"(the first is sample {int(bad.argmax())}, counting from 0)")
        return values, "regression", None
    if y.dtype.kind not in "biuUS":
        raise DataError(f"{name} must hold class labels or numbers, not {y.dtype}")
    if y.ndim == 2 and y.shape[1] > 1 and y.dtype.kind in "biu" and set(np.unique(y).tolist()) <= {0, 1} \
            and (y.sum(axis=1) == 1).all():
        y = y.argmax(axis=1)
        notes.append(f"{name} is one-hot: converted to class indices")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{name} has shape {y.shape}: class labels need one per sample")
    if y.dtype.kind == "S":
        y = np.char.decode(y, "latin-1")
    classes, codes = np.unique(y, return_inverse=True)
    if y.dtype.kind in "biu" and not np.array_equal(classes, np.arange(len(classes))):
        notes.append(f"labels {few(classes.tolist())} became class indices 0 to {len(classes) - 1}")
    return codes.astype(np.int64), "classification", [str(c) for c in classes.tolist()]
