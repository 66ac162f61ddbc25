"""`netbuilder predict`: a trained network's answer for image files, NumPy arrays or CSV rows, and which
parts of each input drove it, as PNG pictures (Captum's saliency, Integrated Gradients or Grad-CAM)."""
from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np
import torch

from ..atomic import write_atomic
from ..compile import build_model
from ..data.dataset import DataSpec
from ..data.raw import DataError
from ..errors import UserError
from ..graph.model import Graph
from ..insight.probes import attribution, top_classes
from ..paths import why_missing
from ..runs.run import WEIGHTS, Run, document_folder, list_runs, read_samples
from ..train.callbacks.checkpoints import differences
from ..train.transfer import TransferError, read_weights

IMAGES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class PredictError(UserError):
    pass


def run_names(document: str) -> str:
    """The document's runs, quoted, for a message: 'run 1', 'run 2' (or none yet)."""
    return ", ".join(f"'{r.name}'" for r in list_runs(document_folder(document, ""))) or "none yet"


def run_folder(document: str, run: str) -> Path:
    """The folder of a run of the document: by its name, id or folder."""
    folder = Path(run)
    if not (folder / "run.json").is_file():
        found = [r for r in list_runs(document_folder(document, "")) if run in (r.name, r.id)]
        if not found:
            raise PredictError(f"the document has no run called '{run}' (its runs: {run_names(document)})")
        folder = found[-1].folder
    return folder


def weights_of(document: str, run: str | None, weights: str | None, wanted: str = "a PyTorch network") -> Path:
    """The checkpoint to predict with: a run of the document (by name, id or folder; its best.pt, else
    last.pt) or a file. A run kept as an ONNX model only (an int8 version Optimize made) is refused with what
    can use it; `wanted` says what needed the weights."""
    if weights:
        return Path(weights)
    if not run:
        raise PredictError("say which weights to use: --run NAME (a run of the document; its runs:"
                           f" {run_names(document)}) or --weights FILE.pt")
    folder = run_folder(document, run)
    found = Run.load(folder)
    if found is not None and found.onnx_only:
        raise PredictError(found.weights_or_why(wanted)[1])
    for name in WEIGHTS:
        if (folder / name).is_file():
            return folder / name
    raise PredictError(f"the run in {folder} has no checkpoint (best.pt or last.pt)")


def trained_model(graph: Graph, path: Path):
    """The document's network with the weights in `path`; refused, naming the layers, when they are another
    network's (the document changed since the run, say)."""
    model = build_model(graph)
    try:
        state = read_weights(path)
    except TransferError as e:
        raise PredictError(str(e)) from None
    diff = differences(state, model.state_dict())
    if diff:
        raise PredictError(f"the weights in {path} are not this network's: the network has changed since they"
                           f" were trained ({'; '.join(diff)}). Choose a run of the network as it is now, or"
                           " fresh weights")
    model.load_state_dict(state)
    return model.eval()


def weights_fit(graph: Graph, path: Path) -> bool:
    """Whether the weights in `path` are those of the document's network as it is now."""
    try:
        return not differences(read_weights(path), build_model(graph).state_dict())
    except (UserError, OSError, ValueError):
        return False


def read_inputs(paths: list[str], shape: tuple[int, ...]) -> list[tuple[str, torch.Tensor, bool]]:
    """(label, samples [N, *shape], scaled) per input file: an image (scaled: its 0..1 stands for the data's
    range of values), a .npy/.npz array or a CSV of rows (in the data's own units)."""
    size = math.prod(shape)
    found = []
    for text in paths:
        path = Path(text)
        if not path.is_file():
            raise PredictError(f"{text}: {why_missing(path)}" if not path.exists() else
                               f"{text}: not a regular file (a folder, a device, a pipe or a socket)")
        suffix = path.suffix.lower()
        if suffix in IMAGES:
            found.append((path.name, _image(path, shape), True))
        elif suffix in (".npy", ".npz"):
            array = _array(path)
            if array.size % size or array.dtype.kind not in "biuf":
                raise PredictError(f"{path.name} holds {list(array.shape)} {array.dtype}: the network takes samples of"
                                   f" {list(shape)} ({size} numbers each), one or a batch")
            samples = torch.from_numpy(array.astype(np.float32)).reshape(-1, *shape)
            if not len(samples):
                raise PredictError(f"{path.name} holds no samples ({list(array.shape)})")
            finite(samples, path.name)
            found.append((path.name, samples, False))
        elif suffix in (".csv", ".txt"):
            found.append((path.name, _rows(path, shape), False))
        else:
            raise PredictError(f"{path.name}: give an image ({', '.join(IMAGES)}), a .npy/.npz array or a CSV of rows")
    return found


def _image(path: Path, shape: tuple[int, ...]) -> torch.Tensor:
    from PIL import Image, UnidentifiedImageError  # (a huge image is a DecompressionBombError)

    if len(shape) != 3 or shape[0] not in (1, 3):
        raise PredictError(f"{path.name} is an image, but the network takes {list(shape)}, not [channels, height,"
                           " width] of 1 or 3 channels")
    try:
        with Image.open(path) as image:
            picture = image.convert("L" if shape[0] == 1 else "RGB").resize((shape[2], shape[1]))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise PredictError(f"{path.name} could not be read as an image ({e})") from None
    pixels = np.asarray(picture, dtype=np.float32) / 255.0
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(pixels)).unsqueeze(0)


def _array(path: Path) -> np.ndarray:
    """A .npy (its header checked against its size), or the array 'x' (else the first) of an .npz."""
    from ..data.files import _array as npy, _loaded

    try:
        if path.suffix.lower() == ".npy":
            return npy(path, path.name)
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            key = "x" if "x" in archive.files else archive.files[0] if archive.files else None
            if key is None:
                raise PredictError(f"{path.name} holds no arrays")
            return _loaded(lambda: archive[key], f"{key} in {path.name}")
    except DataError as e:
        raise PredictError(str(e)) from None
    except (ValueError, OSError) as e:
        raise PredictError(f"{path.name} could not be read: {e}") from None


def _rows(path: Path, shape: tuple[int, ...]) -> torch.Tensor:
    rows = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise PredictError(f"{path.name} could not be read: {e.strerror or e}") from None
    for number, line in enumerate(text.splitlines(), 1):
        try:
            values = row_values(line, shape, f"{path.name} row {number}")
        except PredictError as e:
            if number == 1 and str(e).endswith("not all numbers"):
                continue  # a header
            raise
        if values is not None:
            rows.append(values)
    if not rows:
        raise PredictError(f"{path.name} has no rows of numbers")
    return torch.cat(rows)


def row_values(line: str, shape: tuple[int, ...], where: str) -> torch.Tensor | None:
    """One row of numbers (separated by commas, semicolons, tabs or spaces) as a sample [1, *shape]; None for an empty
    line. `where` names it in the message when it is not one sample of numbers."""
    size = math.prod(shape)
    cells = [c for c in re.split(r"[,;\s]+", line.strip()) if c]
    if not cells:
        return None
    try:
        values = [float(c) for c in cells]
    except ValueError:
        raise PredictError(f"{where}: not all numbers") from None
    if len(values) != size:
        raise PredictError(f"{where} has {len(values)} numbers; the network takes {size} ({list(shape)})")
    row = torch.tensor(values, dtype=torch.float32).reshape(1, *shape)
    finite(row, where)
    return row


def finite(x: torch.Tensor, where: str) -> None:
    """Refuse values that are not finite numbers (NaN, or too large for 32-bit floats)."""
    bad = ~torch.isfinite(x)
    if bad.any():
        raise PredictError(f"{where} has {int(bad.sum())} value(s) that are not finite numbers (NaN or infinite, or"
                           " too large for 32-bit floats): the network's answer would mean nothing")


def as_trained(x: torch.Tensor, samples: dict | None, scaled: bool) -> torch.Tensor:
    """Inputs made like the run's training data: `scaled` ones (an image file's or a drawing's 0..1) are
    first stretched over the data's range of values; then all are normalised as the data was."""
    if not samples:
        return x
    if scaled:
        low, high = samples["range"]
        x = low + x * (high - low)
    stats = samples.get("stats")
    return (x - stats[0]) / stats[1] if stats else x


def heat_rgb(values: torch.Tensor, sample: torch.Tensor | None = None) -> np.ndarray:
    """An attribution as RGB [H, W, 3] in 0..1: each value's size in the viridis colours, over the input when
    it is an image (greyscale underneath)."""
    from matplotlib import colormaps

    heat = values.detach().abs().float().cpu()
    heat = heat.sum(0) if heat.dim() == 3 else heat.reshape(1, -1) if heat.dim() == 1 else heat
    heat = (heat / heat.max().clamp_min(1e-12)).numpy()
    rgb = colormaps["viridis"](heat)[..., :3]
    if sample is not None and sample.dim() == 3:
        grey = sample.detach().float().cpu().mean(0).numpy()
        grey = (grey - grey.min()) / max(float(grey.max() - grey.min()), 1e-12)
        rgb = 0.6 * rgb + 0.4 * grey[..., None]
    return rgb


def heat_png(values: torch.Tensor, path: Path, sample: torch.Tensor | None = None) -> None:
    """`heat_rgb` as a PNG, scaled up so small inputs can be seen."""
    from PIL import Image

    rgb = heat_rgb(values, sample)
    scale = max(1, 256 // max(rgb.shape[:2]))
    image = Image.fromarray((rgb * 255).astype(np.uint8)).resize((rgb.shape[1] * scale, rgb.shape[0] * scale),
                                                                   Image.Resampling.NEAREST)
    write_atomic(path, lambda f: image.save(f, format="PNG"))


def predict_files(graph: Graph, document: str, inputs: list[str], run: str | None, weights: str | None, top: int,
                  explain: str | None, out: Path | None, stream=None) -> int:
    stream = stream or sys.stdout
    nodes = [n for n in graph.nodes() if n.type == "Input"]
    if len(nodes) != 1:
        raise PredictError(f"predict feeds one Input, and this network has {len(nodes)}")
    shape = tuple(nodes[0].params["shape"])
    path = weights_of(document, run, weights, "predicting with its PyTorch network")
    model = trained_model(graph, path)
    kept = read_samples(path.parent)  # a run's checkpoint: its data's normalisation and class names
    names = (kept or {}).get("classes") or _class_names(graph)
    if top < 1:
        raise PredictError(f"--top must be at least 1, not {top}")
    if explain and out is None:
        raise PredictError("--explain writes pictures: say where with --out DIR")
    for label, samples, scaled in read_inputs(inputs, shape):
        samples = as_trained(samples, kept, scaled)
        with torch.no_grad():
            outputs = model(samples).reshape(len(samples), -1)
        classifies = outputs.shape[1] > 1 or _loss(graph) == "bce_with_logits"
        answers = top_classes(model, samples, top) if classifies else None
        for i in range(len(samples)):
            which = f"{label}[{i}]" if len(samples) > 1 else label
            if answers is not None:
                shown = ", ".join(f"{names[c] if names and c < len(names) else c} {p:.1%}" for c, p in answers[i])
                stream.write(f"{which}: {shown}\n")
            else:
                stream.write(f"{which}: {', '.join(f'{v:.4g}' for v in outputs[i].tolist())}\n")
            if explain:
                target = answers[i][0][0] if answers is not None else 0
                found = attribution(model, samples[i:i + 1], target, explain)[0]
                out.mkdir(parents=True, exist_ok=True)
                picture = out / f"{Path(label).stem}{f'_{i}' if len(samples) > 1 else ''}_{explain}.png"
                heat_png(found, picture, samples[i])
                stream.write(f"  {explain}: {picture}\n")
    return 0


def _loss(graph: Graph) -> str:
    settings = graph.meta.get("training")
    return settings.get("loss", "cross_entropy") if isinstance(settings, dict) else "cross_entropy"


def _class_names(graph: Graph) -> list[str] | None:
    spec = DataSpec.from_dict(graph.meta.get("data"))
    if spec.source == "digits":
        return [str(i) for i in range(10)]
    return None
