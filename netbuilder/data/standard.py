"""MNIST, Fashion-MNIST and CIFAR-10 read from their original files (IDX, CIFAR's python pickles).

Images come back as float32 in [0, 1] ([N, 1, 28, 28] or [N, 3, 32, 32]), labels as int64, and the
official test split in RawData.test. Every file is checked (magic numbers, sizes, counts, label
range) and a file that fails raises DataError saying which file and what is wrong. CIFAR's pickles
are read by an unpickler that can build numpy arrays and nothing else, so a file holding other
Python objects is refused instead of run. Downloading lives in download.py."""
from __future__ import annotations

import gzip
import io
import math
import pickle
import struct
import tarfile
import zlib
from pathlib import Path

import numpy as np
import torch

from ..paths import why_missing
from .download import SOURCES, TITLES, Progress, check_name, damaged, default_cache_dir, download
from .raw import DataError, RawData

MNIST_CLASSES = [str(digit) for digit in range(10)]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_DIR, CIFAR_ARCHIVE = "cifar-10-batches-py", "cifar-10-python.tar.gz"
CIFAR_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_BATCHES = CIFAR_TRAIN + ("test_batch",)
_MAX_BATCH_BYTES = 256 << 20  # a real batch is 31 MB; anything far larger is not one

__all__ = ["CIFAR10_CLASSES", "FASHION_MNIST_CLASSES", "MNIST_CLASSES", "DatasetMissing", "load_cifar10",
           "load_mnist", "load_standard", "missing_files", "read_idx"]

_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class DatasetMissing(DataError):
    """Files of a standard dataset are not there; `missing` names the files download() would fetch."""

    def __init__(self, message: str, dataset: str, folder: Path, missing: list[str]):
        super().__init__(message)
        self.dataset, self.folder, self.missing = dataset, folder, missing


def _missing_error(name: str, folder: Path, what: str) -> DatasetMissing:
    needed = missing_files(name, folder) or [f.name for f in SOURCES[name]]
    size = sum(f.size for f in SOURCES[name] if f.name in needed) / 1e6
    return DatasetMissing(f"{TITLES[name]}: {what}; the missing files can be downloaded (about {size:.0f} MB)",
                          name, folder, needed)


def missing_files(name: str, folder: str | Path) -> list[str]:
    """The downloadable files of `name` that `folder` lacks in every form the readers accept."""
    check_name(name)
    folder = Path(folder)
    if name == "cifar10":
        unpacked = any(all((d / b).is_file() for b in CIFAR_BATCHES) for d in (folder, folder / CIFAR_DIR))
        return [] if folder.is_file() or unpacked or (folder / CIFAR_ARCHIVE).is_file() else [CIFAR_ARCHIVE]
    return [f.name for f in SOURCES[name] if not (folder / f.name).is_file() and not (folder / f.name[:-3]).is_file()]


def read_idx(path: str | Path) -> np.ndarray:
    """The array in an IDX file, gzipped or plain (told apart by content, not by name), in native
    byte order and writable. Raises DataError when the header or the size does not add up."""
    path = Path(path)
    data = _read_maybe_gzipped(path)
    name = path.name
    if len(data) < 4:
        raise DataError(f"{name}: too short to be an IDX file ({len(data)} bytes)")
    code, ndim = data[2], data[3]
    if data[:2] != b"\0\0" or code not in _IDX_TYPES or ndim == 0:
        raise DataError(f"{name}: not an IDX file (magic number 0x{bytes(data[:4]).hex()}; an IDX file starts "
                        "with 0x0000, a type code such as 08 for bytes, and its number of dimensions)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: the file ends inside its header ({len(data)} bytes, the header alone is {header})")
    shape = struct.unpack(f">{ndim}I", bytes(data[4:header]))
    dtype = _IDX_TYPES[code]
    expected, held = math.prod(shape) * dtype.itemsize, len(data) - header
    if held != expected:
        if ndim == 3:
            what, unit = f"{shape[0]} images of {shape[1]}x{shape[2]}", "pixels"
        elif ndim == 1:
            what, unit = f"{shape[0]} labels", "labels"
        else:
            what, unit = f"an array of {'x'.join(map(str, shape))} {dtype.name}", "data"
        raise DataError(f"{name}: the header says {what} ({expected} bytes) but the file holds {held} bytes of {unit}")
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


def _read_maybe_gzipped(path: Path) -> bytearray:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: {why_missing(path)}") from None
    except OSError as exc:
        raise DataError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    if raw[:2] != b"\x1f\x8b":
        return bytearray(raw)
    try:
        return bytearray(gzip.decompress(raw))
    except EOFError:
        raise DataError(f"{path.name}: truncated gzip (the compressed data ends early; the file is incomplete)"
                        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path.name}: damaged gzip data ({exc})") from exc


def _scaled(pixels: np.ndarray, shape: tuple[int, ...]) -> torch.Tensor:
    return torch.from_numpy(pixels).reshape(shape).to(torch.float32).div_(255.0)


def _check_range(labels: np.ndarray, name: str, classes: int = 10) -> None:
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        bad = int(np.flatnonzero((labels < 0) | (labels >= classes))[0])
        raise DataError(f"{name}: label {int(labels[bad])} at index {bad}; labels must be 0 to {classes - 1}")


def load_mnist(folder: str | Path, fashion: bool = False) -> RawData:
    """MNIST (or Fashion-MNIST) from the four standard IDX files in `folder`, each gzipped or not."""
    name = "fashion_mnist" if fashion else "mnist"
    folder = Path(folder).expanduser()
    found = {base: next((folder / n for n in (base + ".gz", base) if (folder / n).is_file()), None)
             for base in MNIST_FILES}
    if absent := [f"{base}[.gz]" for base, path in found.items() if path is None]:
        raise _missing_error(name, folder, f"no {', '.join(absent)} in {folder}")
    parts = []
    for split in ("train", "t10k"):
        images_path, labels_path = found[f"{split}-images-idx3-ubyte"], found[f"{split}-labels-idx1-ubyte"]
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise DataError(f"{images_path.name}: expected images (IDX magic 0x00000803: bytes, 3 dimensions) "
                            f"but it holds {images.dtype.name} in {images.ndim} dimension(s)")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise DataError(f"{labels_path.name}: expected labels (IDX magic 0x00000801: bytes, 1 dimension) "
                            f"but it holds {labels.dtype.name} in {labels.ndim} dimension(s)")
        if len(images) != len(labels):
            raise DataError(f"{TITLES[name]} in {folder}: {images_path.name} holds {len(images)} images "
                            f"but {labels_path.name} holds {len(labels)} labels; each image needs one")
        if parts and images.shape[1:] != parts[0][0].shape[2:]:
            raise DataError(f"{images_path.name}: its images are {images.shape[1]}x{images.shape[2]} but the "
                            f"training images are {parts[0][0].shape[2]}x{parts[0][0].shape[3]}")
        _check_range(labels, labels_path.name)
        parts.append((_scaled(images, (len(images), 1) + images.shape[1:]), torch.from_numpy(labels.astype(np.int64))))
    (x, y), test = parts
    return RawData(x, y, "image", "classification",
                   class_names=list(FASHION_MNIST_CLASSES if fashion else MNIST_CLASSES), test=test)


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    """Python 3 pickles of protocol 2 or less spell bytes as _codecs.encode(text, "latin1")."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with {encoding!r} is not how a pickle spells bytes")
    return text.encode("latin1")


def _array_helpers() -> dict[tuple[str, str], object]:
    """The only globals a batch may name: numpy's array and dtype reconstruction, under both the
    numpy 1 (numpy.core) and numpy 2 (numpy._core) module names, taken from numpy's own reducers
    so that numpy.core's deprecated alias is never imported."""
    reconstruct, frombuffer = np.zeros(0).__reduce__()[0], np.zeros(1).__reduce_ex__(5)[0]
    scalar = np.uint8(0).__reduce__()[0]
    allowed: dict[tuple[str, str], object] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                                              ("_codecs", "encode"): _latin1_encode}
    for core in ("numpy.core", "numpy._core"):
        allowed.update({(f"{core}.multiarray", "_reconstruct"): reconstruct,
                        (f"{core}.multiarray", "scalar"): scalar, (f"{core}.numeric", "_frombuffer"): frombuffer})
    return allowed


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, name: str):
        super().__init__(io.BytesIO(data), encoding="bytes")
        self.name, self.allowed = name, _array_helpers()

    def find_class(self, module: str, name: str):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise DataError(f"{self.name}: the file holds Python objects other than arrays ({module}.{name}); "
                            "refusing to load it") from None


def _entry(batch: dict, key: str):
    return batch.get(key.encode(), batch.get(key))


def _cifar_batch(blob: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _ArraysOnlyUnpickler(blob, name).load()
    except DataError:
        raise
    except Exception as exc:  # a damaged pickle can fail in many ways; each means "not a batch"
        raise DataError(f"{name}: not a CIFAR-10 batch (its pickle cannot be read: {exc})") from exc
    if not isinstance(batch, dict) or _entry(batch, "data") is None or _entry(batch, "labels") is None:
        raise DataError(f"{name}: not a CIFAR-10 batch (expected a dict with 'data' and 'labels')")
    data, labels = _entry(batch, "data"), np.asarray(_entry(batch, "labels"))
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        found = f"{data.dtype.name} {list(data.shape)}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{name}: 'data' should be uint8 rows of 3072 values (3x32x32 pixels) but is {found}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(f"{name}: 'labels' should be a list of whole numbers but is {labels.dtype.name} "
                        f"in {labels.ndim} dimension(s)")
    if len(labels) != len(data):
        raise DataError(f"{name}: {len(data)} images but {len(labels)} labels; each image needs one")
    _check_range(labels, name)
    return data, labels


def _cifar_blobs(path: Path) -> dict[str, bytes]:
    """The six batch files' bytes, from a folder of them, a folder holding cifar-10-batches-py or
    the archive, or the .tar.gz archive itself (read in memory, never extracted)."""
    if path.is_dir():
        for folder in (path, path / CIFAR_DIR):
            if all((folder / b).is_file() for b in CIFAR_BATCHES):
                try:
                    return {b: (folder / b).read_bytes() for b in CIFAR_BATCHES}
                except OSError as exc:
                    raise DataError(f"{exc.filename}: cannot be read ({exc.strerror or exc})") from exc
        if not (path / CIFAR_ARCHIVE).is_file():
            folder = path / CIFAR_DIR if (path / CIFAR_DIR).is_dir() else path
            absent = [b for b in CIFAR_BATCHES if not (folder / b).is_file()]
            raise _missing_error("cifar10", path, f"no {', '.join(absent)} in {folder} "
                                 f"(nor a {CIFAR_DIR} folder or {CIFAR_ARCHIVE} holding them)")
        path = path / CIFAR_ARCHIVE
    elif not path.exists():
        raise _missing_error("cifar10", path, f"{path} does not exist")
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in CIFAR_BATCHES and base not in found:
                    if member.size > _MAX_BATCH_BYTES:
                        raise DataError(f"{path.name}: {member.name} is {member.size} bytes, far too big for a batch")
                    found[base] = tar.extractfile(member).read()
                    if len(found) == len(CIFAR_BATCHES):
                        break
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DataError(f"{path.name}: not a readable tar archive, or cut short ({exc})") from exc
    if absent := [b for b in CIFAR_BATCHES if b not in found]:
        raise DataError(f"{path.name}: the archive holds no {', '.join(absent)}")
    return found


def load_cifar10(folder: str | Path) -> RawData:
    """CIFAR-10 from its python batches: `folder` holds data_batch_1..5 and test_batch, or a
    cifar-10-batches-py folder, or cifar-10-python.tar.gz; or `folder` is that archive."""
    blobs = _cifar_blobs(Path(folder).expanduser())
    train = [_cifar_batch(blobs[b], b) for b in CIFAR_TRAIN]
    parts = []
    for batches in (train, [_cifar_batch(blobs["test_batch"], "test_batch")]):
        data = np.concatenate([d for d, _ in batches])  # always a fresh, writable copy
        labels = np.concatenate([lab for _, lab in batches]).astype(np.int64)
        parts.append((_scaled(data, (len(data), 3, 32, 32)), torch.from_numpy(labels)))
    (x, y), test = parts
    return RawData(x, y, "image", "classification", class_names=list(CIFAR10_CLASSES), test=test)


_READERS = {"mnist": load_mnist, "fashion_mnist": lambda folder: load_mnist(folder, fashion=True),
            "cifar10": load_cifar10}


def load_standard(name: str, folder: str | Path | None = None, download_missing: bool = False,
                  progress: Progress | None = None) -> RawData:
    """Dataset `name` ("mnist", "fashion_mnist", "cifar10") from `folder`, or from netbuilder's
    cache folder when None. Missing files raise DatasetMissing (a DataError whose `missing` the UI
    can offer to download) unless download_missing, which fetches them first (progress as in
    download()). Files in the cache folder are checked against their SHA-256 before use; a folder
    the user points at is read as it is, with the format checks only."""
    check_name(name)
    ours = folder is None
    where = default_cache_dir(name) if ours else Path(folder).expanduser()
    missing = missing_files(name, where)
    problems = damaged(name, where) if ours else {}
    if (missing or problems) and download_missing:
        download(name, where, progress)
    elif problems:
        raise DatasetMissing(f"{TITLES[name]} in {where}: {'; '.join(problems.values())}. The file changed or "
                             "was damaged after it was downloaded; download it again.", name, where, list(problems))
    return _READERS[name](where)

