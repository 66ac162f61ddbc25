"""Next token: a language model over characters. Each sample is a window of character indices, its target the
same window one character later; the network gives a score per vocabulary character at every position
([N, length, V], or [N, V] for the character after the window only), and the loss is the cross-entropy per
character in nats (ln 2 = 0.693 nats is one bit). Validation adds bits per character, perplexity (e to the
loss: how many characters it hesitates between) and next-character accuracy. After every epoch it writes
text for the Samples tab (train/language.py)."""
from __future__ import annotations

import copy
import math
import weakref

import torch
from torch.nn import functional as F

from ...compile import build_model
from ...data.text import vocabulary_of
from ...graph.edits import SetParam
from ...graph.problems import Fix, Problem
from ..errors import TrainingError
from ..evaluate import Evaluation
from ..inputs import fit_input, input_problems, last_linear, output_given, shaped_data
from ..language import TextModel
from .base import Recipe

EVAL_BATCH = 256  # windows per forward pass when judging a whole split
_VOCABULARIES: dict[int, tuple] = {}  # id of training inputs -> (a weak reference to them, their vocabulary)


def _remember(tensor: torch.Tensor, vocabulary) -> None:
    key = id(tensor)
    _VOCABULARIES[key] = (weakref.ref(tensor, lambda _: _VOCABULARIES.pop(key, None)), vocabulary)


def _recall(tensor: torch.Tensor):
    ref, vocabulary = _VOCABULARIES.get(id(tensor), (lambda: None, None))
    return vocabulary if ref() is tensor else None


class NextToken(Recipe):
    name = "next_token"
    rank = 5
    summary = ("a language model: from each window of characters the network scores the next character at every"
               " position (cross-entropy in nats per character); it writes text after every epoch")
    losses = ("cross_entropy",)
    shows = frozenset({"test", "samples", "text"})
    keeps_inputs = False

    @classmethod
    def called_for(cls, graph) -> bool:
        """A language model: one Input of integer tokens [length], and one Output of a score per token of that
        vocabulary at every position [length, vocab_size]."""
        inputs = [n for n in graph.nodes() if n.type == "Input"]
        if len(inputs) != 1 or inputs[0].params.get("dtype") != "int" or len(inputs[0].params.get("shape", ())) != 1:
            return False
        _, given = output_given(graph)
        length, vocab = inputs[0].params["shape"][0], inputs[0].params.get("vocab_size")
        return given is not None and tuple(given.shape) == (length, vocab)

    @classmethod
    def data(cls, graph, config, spec, progress=None, download=False, prepared=None):
        data = shaped_data(cls, graph, config, spec, progress, download, prepared)
        _remember(data.train[0], vocabulary_of(data.prepared.raw))  # found again by attach
        return data

    @classmethod
    def check_task(cls, config, prepared, spec) -> None:
        super().check_task(config, prepared, spec)
        if prepared.raw.kind != "text":
            raise TrainingError(f"the {cls.name} recipe learns text, but {spec.label} holds {prepared.raw.kind} data:"
                                " choose python_docs or a .txt file in the Data panel")

    @classmethod
    def data_problems(cls, graph, config, prepared, spec, analysis=None):
        found = input_problems(graph, prepared, spec)
        if prepared.raw.kind != "text":
            return found
        vocab = prepared.outputs
        inputs = [n for n in graph.nodes() if n.type == "Input"]
        params = inputs[0].params if len(inputs) == 1 else {}
        if len(inputs) == 1 and (params.get("dtype") != "int" or params.get("vocab_size", 0) < vocab):
            node = inputs[0]
            found.append(Problem(node.id, f"the Input '{node.name}' takes {spec.label}'s characters: it needs dtype int"
                                 f" and vocab_size {vocab} (the vocabulary's size)",
                                 fix=Fix(f"set its vocab_size to {vocab}", "set_param", node.id, param="vocab_size",
                                         value=vocab) if node.params.get("dtype") == "int" else
                                 Fix("set its dtype to int", "set_param", node.id, param="dtype", value="int")))
        return found + _output_problems(graph, vocab, spec, analysis)

    @classmethod
    def fit_to_data(cls, graph, config, prepared, edits, left) -> None:
        """The Input takes int windows of the vocabulary, the Embeddings have a row per character and the last
        Linear gives a score per character."""
        fit_input(graph, prepared, edits, left)
        vocab = prepared.outputs
        for node in graph.nodes():
            if node.type == "Input" and (node.params.get("dtype"), node.params.get("vocab_size")) != ("int", vocab):
                edits += [SetParam(graph, node.id, "dtype", "int"), SetParam(graph, node.id, "vocab_size", vocab)]
            if node.type == "Embedding" and node.params.get("num_embeddings", 0) < vocab:
                edits.append(SetParam(graph, node.id, "num_embeddings", vocab))
        outputs = [n for n in graph.nodes() if n.type == "Output"]
        last = last_linear(graph, outputs[0].id) if len(outputs) == 1 else None
        if last is None:
            left.append(f"no Linear layer feeds the Output: make the last layer give {vocab} scores per position")
        elif last.params.get("out_features") != vocab:
            edits.append(SetParam(graph, last.id, "out_features", vocab))

    def build(self, network):
        return {"model": build_model(self.graph, network)}

    def attach(self, loop, train, val, test, augment) -> None:
        super().attach(loop, train, val, test, augment)
        self.vocabulary = _recall(train[0])
        if self.vocabulary is None:  # tensors that data() did not give: the document's own text, if it has one
            try:
                self.vocabulary = vocabulary_of(self.data(self.graph, self.config, None).prepared.raw)
            except TrainingError:
                self.vocabulary = None  # it trains, but writes no text

    def loss_of(self, out: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        if out.dim() == 2:  # the character after the window only
            return F.cross_entropy(out, y[:, -1], reduction=reduction)
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), reduction=reduction)

    def training_step(self, batch):
        x, y = batch
        return {"loss": self.loss_of(self.model(x), y)}

    @torch.no_grad()
    def evaluate(self, data) -> tuple[float, float]:
        """(nats per character, next-character accuracy) over a split."""
        x, y = data
        was = self.model.training
        self.model.eval()
        total, right, count = 0.0, 0, 0
        try:
            for start in range(0, len(x), EVAL_BATCH):
                xb, yb = x[start:start + EVAL_BATCH], y[start:start + EVAL_BATCH]
                out = self.model(xb)
                total += float(self.loss_of(out, yb, "sum"))
                target = yb[:, -1] if out.dim() == 2 else yb
                right += int((out.argmax(dim=-1) == target).sum())
                count += target.numel()
        finally:
            self.model.train(was)
        return total / max(count, 1), right / max(count, 1)

    def validation(self) -> dict:
        if self.val_tensors is None:
            return {}
        nats, accuracy = self.evaluate(self.val_tensors)
        return {"val_loss": nats, "val_bits_per_char": nats / math.log(2), "val_perplexity": math.exp(min(nats, 50)),
                "val_accuracy": accuracy}

    def test(self):
        if self.test_tensors is None:
            return None
        nats, accuracy = self.evaluate(self.test_tensors)
        return Evaluation(nats, accuracy, None, samples=len(self.test_tensors[0]))

    def text_model(self) -> TextModel | None:
        """A copy of the network as it is now, on the CPU, with its vocabulary: it writes off this thread."""
        if getattr(self, "vocabulary", None) is None:
            return None
        model = copy.deepcopy(self.model).cpu().eval()
        return TextModel(model, self.vocabulary, int(self.train_tensors[0].shape[1]))

    def pictures(self, epoch: int):
        made = self.text_model()
        return None if made is None else (f"epoch {epoch}: text the network writes from your prompt", made, None)

    def state_dict(self) -> dict:
        vocabulary = getattr(self, "vocabulary", None)
        return {"vocabulary": list(vocabulary.chars)} if vocabulary is not None else {}


def _output_problems(graph, vocab: int, spec, analysis=None) -> list[Problem]:
    """The Output gives a score per character: [N, length, V] (every position) or [N, V] (the next one)."""
    output, given = output_given(graph, analysis)
    if given is None or (given.rank in (1, 2) and given.shape[-1] == vocab):
        return []
    message = (f"the Output '{output.name}' gives {given} but {spec.label} has {vocab} characters: it needs a"
               f" score per character at each position, [N, length, {vocab}]")
    last = last_linear(graph, output.id)
    fix = Fix(f"set {last.name}'s out_features to {vocab}", "set_param", last.id, param="out_features", value=vocab) \
        if last is not None and given.shape[-1] != vocab else None
    return [Problem(output.id, message, fix=fix)]
