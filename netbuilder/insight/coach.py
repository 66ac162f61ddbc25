"""A coach that reads a run's curves after each epoch and says, in plain words, what they show: a network
that learns nothing (no better than guessing), underfits (its loss flat and short of the bar), overfits
(validation loss rising while training loss falls, or a wide gap between training and validation
accuracy), or learns at a rate too high (the loss climbs) or too low (it barely moves); or, when none of
these, that there is nothing to flag and why. Each verdict comes with remedies the user can apply as
undoable edits (remedies.py).

It reads noise as noise: a change counts when it is large against the loss's own level and against the
loss's scale (what guessing scores), and trends are read over the last few epochs, not between two. It
reads what the recipe declares its curves mean (train/recipes/base.py: whether its loss should fall, which
networks train side by side, which metrics go wrong past a limit) and never names a recipe. It compares
with a baseline where there is one: what a network that learned nothing scores (the run's baseline: chance
accuracy, the loss of always guessing the classes' shares or the mean) and the template's bar."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import fmean

from ..graph.model import Graph
from ..train.recipes import Recipe, recipe_class, recipe_problem
from .remedies import Remedy, apply, hidden_linears, network_of, squashing

__all__ = ["Remedy", "Verdict", "Reading", "assess", "read", "apply", "epochs_of", "MIN_EPOCHS"]

MIN_EPOCHS = 3  # fewer epochs tell nothing yet
WINDOW = 3  # epochs a trend is read over
NOISE = 0.02  # a change under this share of the loss's scale (what guessing scores) is noise
CLIMB = 0.5  # the recent loss this much above its lowest (and by more than noise): the steps overshoot
GAP = 0.15  # training accuracy this far above validation accuracy: overfitting
NEAR_CHANCE = 0.05  # accuracy within this of guessing's is no better than guessing
WEAK_ACCURACY = 0.85  # without a bar, a flat training accuracy under this is short
SMALL_CODE = 16  # a VAE's code of fewer numbers is offered a larger one when it underfits
QUALITY_METRICS = {"val_acc": "val_accuracy", "val_loss": "val_loss", "val_accuracy": "val_accuracy"}
SAID = {"val_accuracy": "validation accuracy", "val_loss": "validation loss", "d_accuracy": "discriminator's accuracy"}


@dataclass
class Verdict:
    kind: str  # "overfitting", "underfitting", "lr_high", "lr_low", "stuck", "limit"
    message: str
    remedies: list[Remedy] = field(default_factory=list)


@dataclass
class Reading:
    verdicts: list[Verdict]
    note: str  # what the coach says when it flags nothing ("nothing to flag yet: ...")

    @property
    def text(self) -> str:
        return "; ".join(v.message for v in self.verdicts) if self.verdicts else self.note


@dataclass
class Curves:
    """One network's curves (of the whole run, or of one network trained beside others)."""
    name: str  # "" for the run's one network
    loss: list[float]
    finite: bool
    val_loss: list[float]
    accuracy: list[float]
    val_accuracy: list[float]

    @property
    def who(self) -> str:
        return f"'{self.name}': " if self.name else ""


@dataclass
class Context:
    graph: Graph
    settings: dict
    image_data: bool
    guess_loss: float | None  # the loss of a network that learned nothing
    chance: float | None  # its accuracy
    bar: tuple[str, str, float] | None  # the template's: (metric, "at_least" or "at_most", value)
    lr: float

    def rate(self, factor: float) -> float:  # a learning rate as a person would type it: 1e-05, not 9.999e-06
        return float(f"{self.lr * factor:.3g}")


def _column(epochs: list[dict], key: str) -> list[float]:
    return [float(e[key]) for e in epochs if e.get(key) is not None and math.isfinite(e[key])]


def _recipe(settings: dict) -> type[Recipe]:
    name = settings.get("recipe", "supervised")
    return recipe_class(name) if recipe_problem(name) is None else Recipe


def _bar(graph: Graph) -> tuple[str, str, float] | None:
    quality = graph.meta.get("quality") if graph is not None else None
    if not isinstance(quality, dict) or quality.get("metric") not in QUALITY_METRICS:
        return None
    for side in ("at_least", "at_most"):
        if isinstance(quality.get(side), (int, float)):
            return QUALITY_METRICS[quality["metric"]], side, float(quality[side])
    return None


def _percent(metric: str, value: float) -> str:
    return f"{value:.0%}" if "accuracy" in metric else f"{value:.3g}"


def assess(epochs: list[dict], graph: Graph, settings: dict, image_data: bool = False, baseline: dict | None = None,
           classes: int | None = None) -> Reading:
    """What the curves of these epochs (each a mapping of metrics: loss, val_loss, accuracy, val_accuracy,
    and per network loss/<name>, val_accuracy/<name>) show, with remedies fitting this network and these
    settings. `baseline`: what learning nothing scores on its data ({"loss", "accuracy"}); `classes`: how
    many classes the data has (chance accuracy when there is no baseline)."""
    if len(epochs) < MIN_EPOCHS:
        return Reading([], f"nothing to flag yet: the coach reads the curves once {MIN_EPOCHS} epochs are done")
    recipe, baseline = _recipe(settings), baseline or {}
    chance = baseline.get("accuracy") or (1.0 / classes if classes else None)
    guess = baseline.get("loss")
    if guess is None and classes and settings.get("loss", "cross_entropy") in ("cross_entropy", "nll"):
        guess = math.log(classes)
    context = Context(graph, settings, image_data, guess, chance, _bar(graph), float(settings.get("lr", 1e-3)))
    verdicts = []
    for curves in _curves(epochs, recipe):
        verdict = _judge(curves, context, recipe)
        if verdict is not None:
            verdicts.append(verdict)
    verdicts += _limits(epochs, recipe, context)
    if recipe.apart:  # a network stuck beside one that learns with the same settings: not the learning rate
        learning = [c.name for c in _curves(epochs, recipe) if not any(v.message.startswith(c.who) for v in verdicts)]
        for verdict in verdicts:
            if verdict.kind == "lr_low" and learning:
                _blame_the_gradients(verdict, learning[0], context)
    return Reading(verdicts, "" if verdicts else _nothing(epochs, recipe, context))


def read(epochs: list[dict], graph: Graph, settings: dict, image_data: bool = False, baseline: dict | None = None,
         classes: int | None = None) -> list[Verdict]:
    """The verdicts of `assess` (none: nothing to flag)."""
    return assess(epochs, graph, settings, image_data, baseline, classes).verdicts


def _curves(epochs: list[dict], recipe: type[Recipe]) -> list[Curves]:
    names = list(dict.fromkeys(k.split("/", 1)[1] for e in epochs for k in e if k.startswith("loss/")))
    if recipe.apart and names:
        return [Curves(n, _column(epochs, f"loss/{n}"), _finite(epochs, f"loss/{n}"), _column(epochs, f"val_loss/{n}"),
                       _column(epochs, f"accuracy/{n}"), _column(epochs, f"val_accuracy/{n}")) for n in names]
    return [Curves("", _column(epochs, "loss"), _finite(epochs, "loss"), _column(epochs, "val_loss"),
                   _column(epochs, "accuracy"), _column(epochs, "val_accuracy"))]


def _finite(epochs: list[dict], key: str) -> bool:
    return all(e[key] is None or math.isfinite(e[key]) for e in epochs if key in e)


def _flat(losses: list[float], noise: float) -> bool:
    """No trend over these epochs: every one within twice the noise of the others."""
    return max(losses) - min(losses) < 2 * noise


def _judge(c: Curves, context: Context, recipe: type[Recipe]) -> Verdict | None:
    if not c.finite:
        return _too_high(c, context, f"the training loss stopped being a number after {len(c.loss)} epochs")
    if not recipe.falls or len(c.loss) < MIN_EPOCHS:
        return None
    loss = c.loss
    scale = context.guess_loss or loss[0] or 1.0
    noise = NOISE * abs(scale)
    recent, lowest = fmean(loss[-WINDOW:]), min(loss)
    since = min(loss[-2:])  # the last two epochs both well above the lowest: not one noisy epoch
    if since > (1 + CLIMB) * lowest and since - lowest > 2 * noise:
        return _too_high(c, context, f"the training loss climbed from {lowest:.3g} back up to {loss[-1]:.3g}")
    accuracy = c.val_accuracy or c.accuracy
    still = _flat(loss[-WINDOW:], noise)  # no trend in the last epochs
    at_chance = bool(accuracy) and context.chance is not None and len(accuracy) >= WINDOW and \
        max(accuracy[-WINDOW:]) <= context.chance + NEAR_CHANCE  # every epoch of the window
    guessing = at_chance or (context.guess_loss is not None and loss[-1] >= context.guess_loss - noise)
    if guessing and (still or at_chance):  # settled there, or no epoch of the window better than chance
        if loss[0] - recent > 5 * noise:  # it fell, then settled at guessing: the first steps broke it
            if not at_chance and not _flat(loss[-3 * WINDOW:], noise):  # still creeping down (an autoencoder's
                return None  # average-image plateau): too soon to blame the rate
            return _too_high(c, context, f"the training loss started at {loss[0]:.3g} and now sits at guessing's"
                                         f" level ({recent:.3g}){_accuracy_note(accuracy, context)}")
        if context.guess_loss is not None and recent > context.guess_loss + noise:
            return _too_low(c, context, f"the training loss has not moved in {len(loss)} epochs ({loss[0]:.3g} to"
                                        f" {loss[-1]:.3g}), worse than guessing ({context.guess_loss:.3g})")
        return _too_low(c, context, f"the training loss has not moved from guessing's level ({recent:.3g}) in"
                                    f" {len(loss)} epochs{_accuracy_note(accuracy, context)}")
    if context.guess_loss is None and loss[0] - recent < noise:
        return _too_low(c, context, f"the training loss barely moved in {len(loss)} epochs ({loss[0]:.3g} to"
                                    f" {loss[-1]:.3g})")
    overfit = _overfitting(c, context, noise)
    if overfit is not None:
        return overfit
    if _meets_bar(c, context) is not False and context.bar is not None:
        return None  # at the template's bar (or no bar to miss): flat is good enough
    return _underfitting(c, context, noise)


def _accuracy_note(accuracy: list[float], context: Context) -> str:
    if not accuracy or context.chance is None:
        return ""
    return f", and its accuracy ({accuracy[-1]:.0%}) is no better than guessing ({context.chance:.0%})"


def _too_high(c: Curves, context: Context, what: str) -> Verdict:
    return Verdict("lr_high", f"{c.who}{what}: the learning rate is likely too high, so the steps overshoot",
                   [Remedy(f"lower the learning rate to {context.rate(0.1):g}", "setting", "lr", context.rate(0.1)),
                    Remedy("clip the gradients (clip_norm 1)", "setting", "clip_norm", 1.0)])


def _too_low(c: Curves, context: Context, what: str) -> Verdict:
    remedies = [Remedy(f"raise the learning rate to {context.rate(10):g}", "setting", "lr", context.rate(10))]
    cause = "the learning rate may be too low"
    if len(squashing(context.graph, c.name)) >= 2:  # a stack of them: one at the output is no such trouble
        cause += ", or the gradients fade away in its Sigmoid or Tanh layers before they reach the first ones"
        remedies.append(_relu_remedy(c.name))
    return Verdict("lr_low", f"{c.who}{what}: {cause}", remedies)


def _relu_remedy(network: str) -> Remedy:
    where = f" of '{network}'" if network else ""
    return Remedy(f"replace the Sigmoid and Tanh layers{where} with ReLU", "replace", network, "ReLU")


def _blame_the_gradients(verdict: Verdict, learning: str, context: Context) -> None:
    """A network stuck beside one that learns on the same batches with the same settings: its layers are
    to blame, not the learning rate."""
    verdict.kind = "stuck"
    head = verdict.message.split(": the learning rate", 1)[0]
    network = head.split("'")[1] if head.startswith("'") else ""
    verdict.message = (f"{head}, while '{learning}' learns with the same settings: its gradients likely fade"
                       " before they reach its first layers (see the Gradients tab)")
    verdict.remedies = [_relu_remedy(network)] if squashing(context.graph, network) else []


def _overfitting(c: Curves, context: Context, noise: float) -> Verdict | None:
    val, loss = c.val_loss, c.loss
    rising = False
    if len(val) >= MIN_EPOCHS and len(loss) == len(val):
        best = min(range(len(val)), key=val.__getitem__)
        recent = fmean(val[-2:])
        rising = best <= len(val) - 3 and recent > 1.1 * val[best] and recent - val[best] > noise \
            and loss[-1] < loss[best]
    gap = len(c.accuracy) >= WINDOW and len(c.val_accuracy) >= WINDOW and \
        fmean(c.accuracy[-WINDOW:]) - fmean(c.val_accuracy[-WINDOW:]) > GAP
    if not (rising or gap):
        return None
    what = (f"the validation loss rose from {val[best]:.3g} (epoch {best + 1}) to {val[-1]:.3g} while the training"
            " loss kept falling" if rising else
            f"the training accuracy ({c.accuracy[-1]:.0%}) is far above the validation accuracy"
            f" ({c.val_accuracy[-1]:.0%})")
    hidden, settings, remedies = hidden_linears(context.graph, c.name), context.settings, []
    if hidden:
        remedies.append(Remedy(f"add a Dropout (p 0.3) after '{hidden[0].name}'", "dropout", hidden[0].name, 0.3))
    if not float(settings.get("weight_decay", 0) or 0):
        remedies.append(Remedy("add weight decay (1e-3)", "setting", "weight_decay", 1e-3))
    if context.image_data:
        remedies.append(Remedy("augment the training images (small shifts and rotations)", "data", "",
                               {"crop": 1, "rotate": 10.0}))
    if not settings.get("early_stopping"):
        remedies.append(Remedy("stop early (patience 5 epochs)", "setting", "early_stopping", 5))
    if hidden and int(hidden[0].params.get("out_features", 0)) >= 16:
        narrower = max(4, int(hidden[0].params["out_features"]) // 2)
        remedies.append(Remedy(f"make '{hidden[0].name}' narrower ({narrower})", "wider", hidden[0].name, narrower))
    return Verdict("overfitting", f"{c.who}overfitting: {what}. The network learns the training samples rather"
                                  " than what generalises", remedies)


def _meets_bar(c: Curves, context: Context) -> bool | None:
    """Whether the latest value of the template's metric meets its bar (None: no bar, or no such value)."""
    if context.bar is None:
        return None
    metric, side, value = context.bar
    values = {"val_accuracy": c.val_accuracy, "val_loss": c.val_loss}.get(metric) or []
    if not values:
        return None
    return values[-1] >= value if side == "at_least" else values[-1] <= value


def _underfitting(c: Curves, context: Context, noise: float) -> Verdict | None:
    loss = c.loss
    if len(loss) < 2 * WINDOW:
        return None  # a trend needs two windows to compare
    earlier, recent = fmean(loss[-2 * WINDOW:-WINDOW]), fmean(loss[-WINDOW:])
    flat = earlier - recent < noise and earlier - recent < 0.015 * abs(earlier)  # under 0.5% an epoch
    if not flat:
        return None
    short = _meets_bar(c, context) is False
    if context.bar is None:
        if c.accuracy:
            short = c.accuracy[-1] < WEAK_ACCURACY
        else:
            short = recent > 0.5 * (context.guess_loss or loss[0])
    if not short:
        return None
    settings, hidden = context.settings, hidden_linears(context.graph, c.name)
    remedies = [Remedy(f"raise the learning rate to {context.rate(3):g}", "setting", "lr", context.rate(3))]
    if hidden:
        wider = int(hidden[0].params.get("out_features", 16)) * 2
        remedies.insert(0, Remedy(f"make '{hidden[0].name}' wider ({wider})", "wider", hidden[0].name, wider))
    epochs_now = int(settings.get("epochs", 10))
    remedies.append(Remedy(f"train longer ({epochs_now * 2} epochs)", "setting", "epochs", epochs_now * 2))
    codes = [n for n in map(context.graph.node, network_of(context.graph, c.name)) if n.type == "Reparameterize"
             and int(n.params.get("latent", 0)) < SMALL_CODE]
    why = "the network cannot fit even the training samples"
    if codes:  # a VAE squeezes each sample through its code: a small one is what it cannot fit through
        latent = int(codes[0].params["latent"])
        remedies.insert(0, Remedy(f"give '{codes[0].name}' a larger code ({latent * 4} numbers)", "latent",
                                  codes[0].name, latent * 4))
        why = (f"each sample passes through a code of {latent} number{'s' if latent > 1 else ''} ('{codes[0].name}'),"
               " too few to rebuild even the training samples well")
    level = f"training accuracy {c.accuracy[-1]:.0%}" if c.accuracy else f"training loss {loss[-1]:.3g}"
    if context.bar is not None:
        metric, side, value = context.bar
        level += f"; the template's bar is {SAID.get(metric, metric)} {side.replace('_', ' ')} {_percent(metric, value)}"
    return Verdict("underfitting", f"{c.who}underfitting: the training loss is flat and still high ({level}):"
                                   f" {why}", remedies)


def _limits(epochs: list[dict], recipe: type[Recipe], context: Context) -> list[Verdict]:
    found = []
    for limit in recipe.limits:
        values = _column(epochs, limit.metric)
        if len(values) >= WINDOW and fmean(values[-WINDOW:]) > limit.at_most:
            remedies = [Remedy(f"lower the learning rate to {context.rate(limit.lr_factor):g}", "setting", "lr",
                               context.rate(limit.lr_factor))] if limit.lr_factor else []
            found.append(Verdict("limit", f"{limit.means} ({SAID.get(limit.metric, limit.metric)}"
                                          f" {_percent(limit.metric, values[-1])}, above"
                                          f" {_percent(limit.metric, limit.at_most)})", remedies))
    return found


def _nothing(epochs: list[dict], recipe: type[Recipe], context: Context) -> str:
    """Why there is nothing to flag, with the numbers that say so."""
    if not recipe.falls:
        where = f"; judge it by {recipe.judged_by}" if recipe.judged_by else ""
        return f"nothing to flag: this run's losses balance rather than fall{where}"
    curves = _curves(epochs, recipe)
    if recipe.apart and len(curves) > 1:
        return "nothing to flag: every network's training loss falls"
    c = curves[0]
    if _meets_bar(c, context):
        metric, side, value = context.bar
        latest = c.val_accuracy[-1] if metric == "val_accuracy" else c.val_loss[-1]
        return (f"nothing to flag: the {SAID.get(metric, metric)} ({_percent(metric, latest)}) meets the"
                f" template's bar ({side.replace('_', ' ')} {_percent(metric, value)})")
    if not c.loss:
        return "nothing to flag"
    text = f"nothing to flag: the training loss went from {c.loss[0]:.3g} to {c.loss[-1]:.3g}"
    if context.guess_loss:
        text += f" (guessing scores {context.guess_loss:.3g})"
    if c.val_loss:
        text += f", and the validation loss follows it ({c.val_loss[-1]:.3g})"
    return text


def epochs_of(history) -> list[dict]:
    """A run's per-epoch metrics (from its History) as the rows `read` takes."""
    rows: dict[float, dict] = {}
    for name, series in history.by_epoch.items():
        x, mean, _, _ = series.arrays()
        for epoch, value in zip(x.tolist(), mean.tolist()):
            rows.setdefault(epoch, {})[name] = value
    return [rows[k] for k in sorted(rows)]
