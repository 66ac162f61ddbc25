"""A folder of images with one subfolder per class, as RawData: [N, C, H, W] floats in 0..1, every
image resized; unreadable images are skipped and named in the notes, never dropped in silence."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .raw import DataError, RawData
from .tabular import few

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MODES = {"rgb": "RGB", "gray": "L", "grey": "L"}
PROGRESS_EVERY = 100  # images between calls of progress(done, total)


def load_image_folder(folder, size: int | tuple[int, int] = (32, 32), color: str = "rgb",
                      extensions: Iterable[str] = EXTENSIONS,
                      progress: Callable[[int, int], None] | None = None) -> RawData:
    """Each subfolder of `folder` is a class (sorted names = class_names); images in it, at any depth,
    are converted to `color` ("rgb" or "gray") and resized to `size` (width, height), bilinear."""
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder")
    mode = MODES.get(str(color).lower())
    if mode is None:
        raise DataError(f"color must be 'rgb' or 'gray', not {color!r}")
    width, height = _size(size)
    suffixes = {e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions}
    notes: list[str] = []
    files, labels, classes = _find(root, suffixes, notes)
    channels = 3 if mode == "RGB" else 1
    pixels = np.empty((len(files), height, width, channels), np.uint8)
    read = np.zeros(len(files), bool)
    failed, resized = [], 0
    for i, path in enumerate(files):
        image = _read(path, mode)
        if image is None:
            failed.append(path.relative_to(root).as_posix())
        else:
            if image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.BILINEAR)
                resized += 1
            pixels[i] = np.asarray(image).reshape(height, width, channels)
            read[i] = True
        if progress is not None and ((i + 1) % PROGRESS_EVERY == 0 or i + 1 == len(files)):
            progress(i + 1, len(files))
    if not read.any():
        raise DataError(f"none of the {len(files)} images in {root.name} could be read "
                        f"(for example {few(failed, 3)})")
    for label, name in enumerate(classes):
        if not read[labels == label].any():
            raise DataError(f"none of the images in class folder '{name}' could be read")
    if failed:
        notes.append(f"skipped {len(failed)} unreadable image{'s' * (len(failed) > 1)}: {few(failed)}")
    if resized:
        notes.append(f"resized {resized} of {int(read.sum())} images to {width}x{height}")
    x = torch.from_numpy(pixels[read]).permute(0, 3, 1, 2).contiguous().float().div_(255.0)
    return RawData(x, torch.from_numpy(labels[read]), "image", "classification", classes, None, notes)


def _size(size) -> tuple[int, int]:
    pair = (size, size) if isinstance(size, int) else tuple(size)
    if len(pair) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in pair):
        raise DataError(f"size must be (width, height) in whole pixels, not {size!r}")
    return pair


def _find(root: Path, suffixes: set[str], notes: list[str]) -> tuple[list[Path], np.ndarray, list[str]]:
    """Every image path, its class index and the class names; ignored files go into notes."""
    base = root.resolve()
    entries = sorted(root.iterdir())
    outside = [p.name for p in entries if p.is_dir() and not _inside(p, base)]
    if outside:  # a link to somewhere else (or back to the folder itself) is no class of this dataset
        notes.append(f"ignored folder{'s' * (len(outside) > 1)} linking outside {root.name}: {few(outside)}")
    entries = [p for p in entries if p.name not in outside]
    folders = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
    loose = [p.name for p in entries if not p.is_dir()]
    hidden = [p.name for p in entries if p.is_dir() and p.name.startswith(".")]
    if not folders:
        raise DataError(f"{root.name} has no subfolders: put each class's images in a folder named after the class")
    if len(folders) == 1:
        raise DataError(f"{root.name} has only one class folder ('{folders[0].name}'): a classifier needs at "
                        "least two classes, each in its own folder")
    files, labels, others = [], [], []
    for label, folder in enumerate(folders):
        found = []
        for path in sorted(folder.rglob("*")):
            if path.is_dir():
                continue
            if path.is_file() and _inside(path, base) and path.suffix.lower() in suffixes \
                    and not path.name.startswith("."):  # regular files in the folder: no devices, no pipes
                found.append(path)
            else:
                others.append(path.relative_to(root).as_posix())
        if not found:
            raise DataError(f"class folder '{folder.name}' in {root.name} has no images "
                            f"(netbuilder reads {', '.join(sorted(suffixes))})")
        files += found
        labels += [label] * len(found)
    if others:
        notes.append(f"ignored {len(others)} non-image file{'s' * (len(others) > 1)}: {few(others)}")
    if loose:
        notes.append(f"ignored {len(loose)} file{'s' * (len(loose) > 1)} outside the class folders: {few(loose)}")
    if hidden:
        notes.append(f"ignored hidden folder{'s' * (len(hidden) > 1)} {few(hidden)}")
    return files, np.array(labels, np.int64), [f.name for f in folders]


def _inside(path: Path, base: Path) -> bool:
    """Whether `path` (followed through links) is inside `base` and is not `base` itself."""
    resolved = path.resolve()
    return resolved != base and base in resolved.parents


def _read(path: Path, mode: str) -> Image.Image | None:
    """The image in `mode`, upright per its EXIF orientation; None when it cannot be read."""
    try:
        with Image.open(path) as image:
            if image.mode == "P" and "transparency" in image.info:
                image = image.convert("RGBA")  # converting straight from P warns
            return ImageOps.exif_transpose(image).convert(mode)
    except Exception:  # a corrupt file raises OSError, ValueError, SyntaxError, struct.error...
        return None
