"""What a generative run made last, kept in its folder (pictures.pt) so that the Samples tab shows it when the
run is opened again, after a restart too: the caption, the samples (images, grids side by side, or 2-D points),
the real points under them and a diffusion's reverse process; for a language model, the text it wrote at the
end of the run (train/language.py) and how. Written atomically at the end of every epoch the window draws
(PictureKeeper beside the Pictures callback), or once at the end of a run trained in the terminal."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..atomic import write_atomic
from ..train.callbacks import Callback
from ..train.language import LENGTH, PROMPT, TEMPERATURE, Generated, GenerationError, TextModel, load_text_model

PICTURES_FILE = "pictures.pt"
WRITE_SECONDS = 1.0  # written at most once a second while a run trains (each write is synced to disk), and at the end


@dataclass
class SavedText:
    """Text a language model's run wrote, read back from its folder; load() gives the run's network to write
    more (from best.pt, else last.pt)."""
    generated: Generated
    folder: Path
    model: TextModel | None = field(default=None, repr=False, compare=False)  # once loaded

    def load(self) -> TextModel:
        from .run import Run

        if self.model is not None:
            return self.model

        run = Run.load(self.folder)
        weights = next((self.folder / n for n in ("best.pt", "last.pt") if (self.folder / n).is_file()), None)
        if run is None or weights is None:
            raise GenerationError(f"the run in {self.folder} keeps no checkpoint to write with")
        self.model = load_text_model(run.graph(), weights)
        return self.model


def write_pictures(folder: Path, pictures) -> None:
    """pictures: (caption, samples, real or None[, reverse process]) as a recipe's pictures() gives them, with a
    Generated text in place of the samples for a language model."""
    caption, samples, real, *strip = pictures
    if isinstance(samples, Generated):
        kept = {"caption": caption, "text": asdict(samples)}
    else:
        kept = {"caption": caption, "samples": _plain(samples), "real": _plain(real),
                "strip": [(str(label), _plain(x)) for label, x in strip[0]] if strip and strip[0] else None}
    write_atomic(Path(folder) / PICTURES_FILE, lambda f: torch.save(kept, f))


def _plain(x):
    if isinstance(x, (tuple, list)):
        return [_plain(p) for p in x]
    return None if x is None else x.detach().cpu().contiguous()


def read_pictures(folder: Path):
    """What write_pictures kept in a run's folder, in the form the Samples tab takes (a SavedText in place of a
    language model's samples), or None (a run without, or a damaged file)."""
    path = Path(folder) / PICTURES_FILE
    try:
        kept = torch.load(path, weights_only=True) if path.is_file() else None
        if not isinstance(kept, dict) or not isinstance(kept.get("caption"), str):
            return None
        if "text" in kept:
            return kept["caption"], SavedText(Generated(**kept["text"]), Path(folder)), None
        samples = kept["samples"]
        if not _tensors(samples) or not (kept["real"] is None or isinstance(kept["real"], torch.Tensor)):
            return None
        strip = kept.get("strip")
        if strip is not None and not all(isinstance(x, torch.Tensor) for _, x in strip):
            return None
        samples = tuple(samples) if isinstance(samples, list) else samples
        return (kept["caption"], samples, kept["real"]) + ((list(map(tuple, strip)),) if strip else ())
    except Exception:  # noqa: BLE001 - any damage means the same: nothing to show
        return None


def _tensors(samples) -> bool:
    if isinstance(samples, list):
        return bool(samples) and all(isinstance(p, torch.Tensor) for p in samples)
    return isinstance(samples, torch.Tensor)


class PictureKeeper(Callback):
    """Keeps a run's latest pictures in its folder. With `source` (the Pictures callback the window's runs
    have, placed before this one) it writes them after an epoch that made new ones (at most once a second, and
    the last ones at the end); without it, it asks the recipe for them once, at the end. A language model's text
    is written at the end only, from the default prompt (writing takes the training thread's time)."""

    def __init__(self, folder: Path, source=None):
        self.folder, self.source, self.kept = Path(folder), source, None
        self.written_at = -WRITE_SECONDS

    def on_epoch_end(self, trainer, epoch) -> None:
        latest = self.source.latest if self.source is not None else None
        if latest is None or latest is self.kept or isinstance(latest[1], TextModel) \
                or time.perf_counter() - self.written_at < WRITE_SECONDS:
            return
        write_pictures(self.folder, latest)
        self.kept, self.written_at = latest, time.perf_counter()

    def on_train_end(self, trainer, result) -> None:
        if not result.epochs or result.status == "failed" or "samples" not in trainer.recipe.shows:
            return
        latest = self.source.latest if self.source is not None else trainer.recipe.pictures(result.epochs[-1].epoch + 1)
        if latest is None or latest is self.kept:
            return
        if isinstance(latest[1], TextModel):
            written = latest[1].generate(PROMPT, LENGTH, TEMPERATURE, 0, seed=0)
            caption = (f"epoch {result.epochs[-1].epoch + 1}: what the network wrote at the end of the run from"
                       f" {PROMPT!r} (temperature {TEMPERATURE:g}, seed 0)")
            latest = (caption, written, None)
        write_pictures(self.folder, latest)
        self.kept = latest
