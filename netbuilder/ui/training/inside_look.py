"""What the Inside tab shows for one input, computed off the window's thread (ui.background): the run's
trained network (read from its checkpoint once), its answer, the attribution or reconstruction, the
chosen layer's output and weights, as RGB arrays and words. No widgets here."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ...insight.probes import InsightError, attribution, layer_names, layer_outputs, top_classes
from ...deploy.predict import heat_rgb, trained_model
from .inside_pictures import heat, input_rgb, output_rgb, weights_rgb

CLASSIFIES = ("cross_entropy", "nll", "bce_with_logits")


@dataclass
class Look:
    layers: list[str]  # the network's layers, in order
    layer: str  # the one shown
    answer: str
    pictures: list = field(default_factory=list)  # for the 2nd to 4th pictures: an RGB array, or why not
    captions: list = field(default_factory=list)  # for the 2nd and 3rd
    tips: list = field(default_factory=list)  # tool tips of the 2nd to 4th
    reconstruction: bool = False


class Looker:
    """Used on the pool thread only: the network of one run's checkpoint, loaded once."""

    def __init__(self):
        self._key = None
        self._model = None

    def model(self, key: tuple, graph, path: Path):
        if key != self._key:
            self._model, self._key = trained_model(graph, path), key
        return self._model

    def look(self, model, x: torch.Tensor, layer: str, method: str, samples: dict | None, loss: str) -> Look:
        names = layer_names(model)  # a block's layers too, by dotted names
        if layer not in names:
            convs = [n for n, m in model.named_children() if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d))]
            layer = convs[0] if convs else names[0] if names else ""
        look = Look(names, layer, "")
        try:
            self._answer(look, model, x, method, samples or {}, loss)
        except (RuntimeError, ValueError) as e:  # an input the network cannot take
            look.answer = f"The network cannot take this input: {str(e).splitlines()[0]}"
            look.pictures = ["", "", ""]
            return look
        outputs = layer_outputs(model, (x,), [layer]) if layer else {}
        attention = outputs.get(f"{layer}.attention")
        out = attention if attention is not None else outputs.get(layer)
        if out is None:
            look.pictures.append(f"{layer} gives nothing for this input")
            look.tips.append("")
        elif attention is not None:
            look.pictures.append(heat(out[0]))
            look.captions.append(f"{layer}'s attention")
            look.tips.append(f"{layer}: attention (row: a position; column: where it looked)")
        else:
            look.pictures.append(output_rgb(out[0]))
            look.captions.append(f"what {layer} made of it")
            look.tips.append(f"{layer}: output {list(out.shape[1:])}")
        # its weights: `weight`, else its first matrix (a recurrent layer's input weights, weight_ih_l0)
        named = [(n, p) for n, p in model.get_submodule(layer).named_parameters() if p.dim() >= 2] if layer else []
        name, weight = next(((n, p) for n, p in named if n == "weight"), named[0] if named else (None, None))
        weights = weights_rgb(weight) if weight is not None else None
        look.pictures.append(weights if weights is not None else f"{layer} has no weights to show")
        look.tips.append(f"{layer}.{name} {list(weight.shape)}" if weights is not None else "")
        return look

    @staticmethod
    def _answer(look: Look, model, x: torch.Tensor, method: str, samples: dict, loss: str) -> None:
        """The answer, and the second picture: an attribution, or an autoencoder's reconstruction."""
        with torch.no_grad():
            out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        if out.numel() == x.numel() and out.dim() > 2:
            difference = torch.mean((out.reshape(x.shape) - x) ** 2).item()
            look.answer = f"The network's reconstruction of the input (mean squared difference {difference:.4g})"
            look.captions.append("its reconstruction")
            look.pictures.append(input_rgb(out[0]))
            look.tips.append("")
            look.reconstruction = True
            return
        look.captions.append("what drove the answer")
        task = samples.get("task")
        if task == "regression" or (task is None and loss not in CLASSIFIES):
            values = ", ".join(f"{v:.4g}" for v in out.reshape(-1)[:8].tolist())
            look.answer = f"The network gives <b>{values}</b>"
            target = 0
        else:
            names = samples.get("classes") or []
            answers = top_classes(model, x, 3)[0]
            look.answer = "The network says " + ", ".join(
                f"<b>{names[c] if c < len(names) else c}</b> ({p:.1%})" for c, p in answers)
            target = answers[0][0]
        try:
            look.pictures.append(heat_rgb(attribution(model, x, target, method)[0], x[0]))
        except InsightError as e:
            look.pictures.append(str(e))
        look.tips.append("")

