"""`netbuilder generate`: new samples from a trained generative run (a GAN, a VAE, a diffusion model), written
as a PNG grid for images and a .npy array in every case, with the seed that made them. The recipe of the run
makes the samples (Recipe.generate); this module finds the run, puts its weights back and writes the files."""
from __future__ import annotations

import errno
import json
import math
import secrets
from pathlib import Path

import numpy as np
import torch

from ..atomic import write_atomic
from ..data.dataset import DataSpec
from ..errors import UserError
from ..graph.io import FileFormatError
from ..runs.run import Run
from ..train import TrainConfig, make_trainer
from ..train.callbacks.checkpoints import differences
from ..train.transfer import TransferError, read_weights
from .predict import weights_of

MAX_COUNT = 100_000
GRID_COLUMNS = 16


class GenerateError(UserError):
    pass


def trained_recipe(document: str, run: str):
    """The recipe of a run of the document (by name, id or folder), its weights put back from best.pt (else
    last.pt), on the CPU: (recipe, run, data kind)."""
    path = weights_of(document, run, None, "generating with it")
    found = Run.load(path.parent)
    if found is None:
        raise GenerateError(f"{path.parent} holds no readable run")
    try:
        graph = found.graph()
    except FileFormatError as e:
        raise GenerateError(f"the run '{found.name}' keeps no readable copy of its network: {e}") from None
    config = TrainConfig.from_dict({**found.settings, "device": "cpu", "init_from": ""})
    trainer, data = make_trainer(graph, config, spec=DataSpec.from_dict(found.data))
    try:
        state = read_weights(path)
    except TransferError as e:
        raise GenerateError(str(e)) from None
    diff = differences(state, trainer.model.state_dict())
    if diff:
        raise GenerateError(f"the weights in {path} are not those of the run's network ({'; '.join(diff)})")
    trainer.model.load_state_dict(state)
    try:  # what the recipe keeps beside the weights (a diffusion model's running average of them)
        whole = torch.load(path, map_location="cpu", weights_only=True)
        trainer.recipe.load_state_dict((whole.get("recipe_state") if isinstance(whole, dict) else None) or {})
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as e:
        raise GenerateError(f"the checkpoint {path} could not be read whole: {e}") from None
    return trainer.recipe, found, data.prepared.raw.kind


def generate(document: str, run: str, count: int = 64, seed: int | None = None):
    """(samples, seed, run, data kind): `count` samples of the run, from `seed` (a fresh one when None)."""
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise GenerateError(f"--count must be a whole number from 1 to {MAX_COUNT:,}, not {count}")
    seed = secrets.randbelow(2**31) if seed is None else seed
    if not 0 <= seed < 2**63:
        raise GenerateError(f"--seed must be a whole number from 0 to 2**63 - 1, not {seed}")
    recipe, found, kind = trained_recipe(document, run)
    return recipe.generate(count, seed), seed, found, kind


def run_info(run: Run, seed: int) -> dict:
    """What samples.json says of samples generated from a run."""
    return {"run": run.name, "run_id": run.id, "recipe": run.recipe, "seed": seed}


def _folder(out: Path) -> None:
    """The folder the files go in, made if missing; a file of that name is said as such (not 'File exists')."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "it is a file, not a folder: choose a folder for the samples",
                                 str(out))
    out.mkdir(parents=True, exist_ok=True)


def write_samples(samples, out: Path, info: dict, images: bool = False) -> list[Path]:
    """samples.npy (and samples.png, a grid, for images: `images`, or samples shaped [N, C, H, W]) and
    samples.json (`info`, the count and each sample's shape) in `out`; returns the files written."""
    _folder(out)
    written = [out / "samples.npy"]
    array = samples.detach().cpu().numpy()
    write_atomic(written[0], lambda f: np.save(f, array))
    pictures = images_of(samples) if images or samples.dim() == 4 else None
    if pictures is not None:
        written.append(out / "samples.png")
        write_atomic(written[-1], lambda f: grid(pictures).save(f, format="PNG"))
    info = {**info, "count": len(samples), "shape": list(samples.shape[1:])}
    written.append(out / "samples.json")
    write_atomic(written[-1], json.dumps(info, indent=1))
    return written


def write_texts(texts: list, out: Path, info: dict) -> list[Path]:
    """A language model's writing: text_1.txt, text_2.txt, ... (each the prompt and what followed it, as
    train.language.Generated holds them) and samples.json (`info`, and each file with the seed that wrote it)
    in `out`; returns the files written."""
    _folder(out)
    written, listed = [], []
    for i, made in enumerate(texts, 1):
        written.append(out / f"text_{i}.txt")
        write_atomic(written[-1], made.prompt + made.text)
        listed.append({"file": written[-1].name, "seed": made.seed, **({"note": made.note} if made.note else {})})
    written.append(out / "samples.json")
    write_atomic(written[-1], json.dumps({**info, "count": len(texts), "texts": listed}, indent=1))
    return written


def images_of(samples: torch.Tensor) -> torch.Tensor | None:
    """[N, C, H, W] with C 1 or 3, or None when the samples are not pictures."""
    x = samples.unsqueeze(1) if samples.dim() == 3 else samples
    return x if x.dim() == 4 and x.shape[1] in (1, 3) else None


def grid(images: torch.Tensor, pad: int = 1):
    """A PIL image of the samples side by side, GRID_COLUMNS across, each pixel 0..1 (clamped) as 0..255."""
    from PIL import Image

    n, c, h, w = images.shape
    columns = min(GRID_COLUMNS, n)
    rows = math.ceil(n / columns)
    picture = np.zeros((rows * (h + pad) + pad, columns * (w + pad) + pad, c), dtype=np.uint8)
    tiles = (images.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    for i, tile in enumerate(tiles):
        r, col = divmod(i, columns)
        picture[pad + r * (h + pad):pad + r * (h + pad) + h, pad + col * (w + pad):pad + col * (w + pad) + w] = tile
    return Image.fromarray(picture[:, :, 0] if c == 1 else picture, "L" if c == 1 else "RGB")
