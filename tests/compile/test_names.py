"""Layer names: the compiler decides which are refused (anything nn.Module or fx.GraphModule has, the names
the exported code uses, keywords); the document refuses the same ones without importing torch."""
import keyword
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import fx, nn

from netbuilder import GraphBuilder, build_model, export_source
from netbuilder.graph.model import EditError, name_problem

ROOT = Path(__file__).resolve().parents[2]


def test_the_documents_list_is_the_compilers():
    """Asked in a fresh interpreter: a package imported by another test may add to nn.Module (transformers adds
    smart_apply when a model of it is made), which the compiler then refuses too, but torch's own list is the file's."""
    code = "import runpy, sys; sys.stdout.write(runpy.run_path(sys.argv[1])['text']())"
    fresh = subprocess.run([sys.executable, "-c", code, str(ROOT / "scripts" / "reserved_names.py")],
                           capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert (ROOT / "netbuilder" / "graph" / "reserved_names.txt").read_text(encoding="utf-8") == fresh, \
        "stale: run .venv/bin/python scripts/reserved_names.py"


def attributes():
    traced = fx.symbolic_trace(nn.Identity())
    return sorted({n for source in (dir(nn.Module), dir(fx.GraphModule), vars(nn.Module()), vars(traced))
                   for n in source if n.isidentifier()})


@pytest.mark.parametrize("name", attributes())
def test_every_attribute_of_a_compiled_module_is_refused(name):
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", ["torch", "nn", "math", "super", "self", "compile", "bfloat16", "share_memory",
                                  "_modules", "_parameters", "__init__", "ipu", "xpu", "dump_patches", "to_folder",
                                  "delete_submodule", "class", "match", "code", "graph"])
def test_names_that_broke_training_are_refused(name):
    assert "reserved" in name_problem(name)
    b = GraphBuilder()
    with pytest.raises(EditError, match="reserved"):
        b.add("Input", name=name, shape=[4])


@pytest.mark.parametrize("name", ["fc1", "encoder", "x", "out_2", "Linear", "len", "input", "F", "layers"])
def test_accepted_names_compile_train_and_export(name):
    b = GraphBuilder()
    h = b.add("Linear", b.add("Input", name="features", shape=[4]), name=name, out_features=3)
    b.add("Output", h, name="scores")
    model = build_model(b.graph)
    x = torch.randn(5, 4)
    model(x).sum().backward()
    namespace = {}
    exec(export_source(b.graph), namespace)  # noqa: S102 - our own generated source
    exported = next(v for k, v in namespace.items() if isinstance(v, type) and issubclass(v, nn.Module)
                    and v is not nn.Module)()
    exported.load_state_dict(model.state_dict())
    assert torch.allclose(exported(x), model(x))
    assert not keyword.iskeyword(name)
