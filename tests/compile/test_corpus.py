"""The import corpus (tests/import_corpus/entries.py): real model classes of public packages, imported as a user
would import them. Each that imports checks clean and gives the model's own outputs (relative 1e-4, with the
model's weights) on a batch size the import did not use: the document built, its exported source, and its ONNX
file where the model draws no random numbers. Each that is refused says why, naming what stands in the way."""
import importlib.util
import math
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils import _pytree

import netbuilder
from netbuilder.analysis import Analysis
from netbuilder.compile.build import _class_name
from netbuilder.compile.importer.copies import holders, tensor_key
from netbuilder.compile.importer.inputs import parse_input
from netbuilder.compile.importer.model import TOLERANCE, ModelImportError, import_model, load_file
from netbuilder.deploy.formats import export_network, onnx_session

CORPUS = Path(__file__).resolve().parents[1] / "import_corpus"
_spec = importlib.util.spec_from_file_location("import_corpus_entries", CORPUS / "entries.py")
entries = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = entries  # its dataclass looks its module up there
_spec.loader.exec_module(entries)
ENTRIES = entries.ENTRIES

BATCH = 5  # the import uses the batch of the entry's --input shapes (2) and its own check batches; not this one


def _original(entry):
    """The model as the user's file builds it, in eval mode."""
    module = load_file(entry.path)
    return getattr(module, entry.factory or entry.build)(**entry.args).eval()


def _inputs(entry, batch: int):
    """Random inputs of the entry's dtypes and shapes, with `batch` in each batch dimension."""
    gen = torch.Generator().manual_seed(batch)
    out = []
    for i, text in enumerate(entry.inputs):
        name, dtype, shape = parse_input(text)
        shape[entry.batch_dim(i)] = batch
        if dtype.is_floating_point:
            x = torch.randn(shape, generator=gen)
            out.append((x.abs() + 0.1 if name in entry.positive else x).to(dtype))
        else:
            out.append(torch.randint(0, entry.tokens, shape, generator=gen).to(dtype))
    return out


def _run(model, xs):
    torch.manual_seed(11)  # the same draws for a model that samples (a VAE's reparameterisation)
    with torch.no_grad():
        out = model(*xs)
    return [t for t in _pytree.tree_leaves(out) if isinstance(t, torch.Tensor)]


def _same(theirs, ours, what):
    assert len(ours) == len(theirs), f"{what}: {len(ours)} outputs, the model has {len(theirs)}"
    for i, (a, b) in enumerate(zip(theirs, ours), 1):
        b = torch.as_tensor(b)
        assert list(b.shape) == list(a.shape), f"{what}: output {i} is {list(b.shape)}, the model's {list(a.shape)}"
        scale = max(1.0, float(a.double().abs().max())) if a.numel() else 1.0
        diff = float((a.double() - b.double()).abs().max()) if a.numel() else 0.0
        assert diff <= TOLERANCE * scale, f"{what}: output {i} differs by {diff:.3g}"


def _parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _held(model, xs) -> int:
    """How many parameters a document of the model holds: each that forward uses (a gradient reaches it), once
    per layer of the model holding it (a weight tied between two layers is a copy in each)."""
    model.zero_grad(set_to_none=True)
    torch.manual_seed(11)
    with torch.enable_grad():
        outs = [t for t in _pytree.tree_leaves(model(*xs)) if isinstance(t, torch.Tensor) and t.requires_grad]
        try:
            sum(t.float().sum() for t in outs).backward()
        except (RuntimeError, AttributeError):  # no gradient (an in-place write it needs, no output needing one)
            outs = []  # then every parameter counts as used
    used = {tensor_key(p) for p in model.parameters() if p.grad is not None or not outs}
    model.zero_grad(set_to_none=True)
    return sum(math.prod(key[2]) * len(names) for key, names in holders(model, buffers=False).items() if key in used)


def _import(entry, weights=None):
    inputs = [parse_input(text) for text in entry.inputs]
    return import_model(entry.path, entry.class_name, entry.args, None, weights, factory=entry.factory,
                        inputs=inputs)


@pytest.fixture(scope="module", autouse=True)
def _packages_loaded():
    """Each corpus file run once before the tests, so that the packages it imports (MONAI takes 10 s and more on a
    busy machine) are loaded when the import runs it: the importer stops a file whose loading runs past its time
    limit (an endless loop), and the test is not of how fast a package loads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted({e.path for e in ENTRIES}):
            spec = importlib.util.spec_from_file_location(f"corpus_{path.stem}", path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():  # the packages' own deprecation and user warnings are not the importer's
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_corpus_model(entry, tmp_path):
    if entry.expect != "imports":
        with pytest.raises(ModelImportError) as info:
            _import(entry)
        message = str(info.value)
        assert entry.expect.removeprefix("refused: ") in message, message
        assert "Traceback" not in message
        assert re.search(r"line \d+", message), message  # the line of the model's code that stands in the way
        return
    torch.manual_seed(0)
    model = _original(entry)
    weights = tmp_path / "weights.pt"
    torch.save(model.state_dict(), weights)
    result = _import(entry, weights)
    graph = result.graph
    analysis = Analysis(graph)
    try:
        assert [p.describe() for p in analysis.problems() if p.severity == "error"] == []
    finally:
        analysis.close()
    xs = _inputs(entry, BATCH)
    theirs = _run(model, xs)
    if result.returned != tuple(range(len(theirs))):  # only a VAE's mu and logvar (and z), inside its layer
        assert any(n.type == "Reparameterize" for n in graph.nodes()), result.returned
        theirs = [theirs[i] for i in result.returned]

    built = netbuilder.build_model(graph).eval()
    built.load_state_dict(result.state)
    _same(theirs, _run(built, xs), "the document")
    # each weight of the model is held by one layer (a tied weight by one per layer holding it: said so)
    assert _parameters(built) == _held(model, xs), "the document's parameters are not the model's"
    assert not [n for n in result.notes if "is held by" in n], result.notes

    code = tmp_path / "exported.py"
    code.write_text(netbuilder.export_source(graph))
    exported = getattr(load_file(code), _class_name(graph, None))().eval()
    exported.load_state_dict(result.state)
    _same(theirs, _run(exported, xs), "its exported source")

    if not entry.onnx:
        state = tmp_path / "document.pt"
        torch.save(result.state, state)
        onnx = tmp_path / "model.onnx"
        export_network(graph, None, "onnx", onnx, weights=str(state))
        session = onnx_session(onnx)
        names = [i.name for i in session.get_inputs()]
        found = session.run(None, {n: x.numpy() for n, x in zip(names, xs)})
        _same(theirs, [torch.from_numpy(np.asarray(a)) for a in found], "its ONNX file")


def test_the_corpus_is_real_and_large_enough():
    """At least 25 models of at least 5 packages, each file naming where its models come from and their licence."""
    assert len(ENTRIES) >= 25 and len({e.name for e in ENTRIES}) == len(ENTRIES)
    for path in {e.path for e in ENTRIES}:
        header = path.read_text().split('"""')[1]
        assert re.search(r"licen[cs]e (MIT|Apache-2\.0|BSD)", header), path.name
        assert "https://github.com/" in header, path.name
    refused = [e for e in ENTRIES if e.expect != "imports"]
    assert all(e.expect.startswith("refused: ") for e in refused)


def test_the_corpus_bar_holds():
    """Issue 25's bar, 22 of 25, as a share of the corpus: 32 of 32 import."""
    imported = [e for e in ENTRIES if e.expect == "imports"]
    assert len(imported) >= 22 and len(imported) >= 22 / 25 * len(ENTRIES)  # issue 25: 22 of 25


def test_the_entries_are_what_the_command_takes(tmp_path, capsys):
    """One entry through `netbuilder import` itself: the arguments the corpus gives are the command's."""
    from netbuilder.cli import main

    entry = next(e for e in ENTRIES if e.name == "rtdl_mlp")
    out = tmp_path / "mlp.json"
    assert main(["import", str(entry.path), *entry.argv(), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
