"""Import of PyTorch models.

Corpus (the default): for each model of the import corpus (tests/import_corpus/entries.py), the time `netbuilder
import` takes (load, capture, map, build, the output check), against building the imported document once
(build_model), and the share of the document's layers that are catalog layers and Code layers (a block's layers
once per use); a refused model shows the start of its message.

--templates: for each template, its exported source imported back, against compiling the document once, and the
largest difference between the model's and the imported document's outputs.

Run: .venv/bin/python bench/bench_import.py [--templates] [--repeats N] [NAME ...]
"""
import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

import netbuilder
from netbuilder.compile.build import _class_name
from netbuilder.compile.importer.inputs import parse_input
from netbuilder.compile.importer.model import ModelImportError, import_model
from netbuilder.graph import io
from netbuilder.layers import check_node

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").glob("*.json"))


def _entries():
    spec = importlib.util.spec_from_file_location("import_corpus_entries", ROOT / "tests/import_corpus/entries.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.ENTRIES


def layer_counts(graph, times=1, found=None) -> dict[str, int]:
    """How many layers of each type the document computes with (a block's once per use)."""
    found = {} if found is None else found
    for node in graph.nodes():
        if node.type == "Block":
            layer_counts(graph.blocks[node.params["block"]], times * node.params["repeat"], found)
        elif node.type not in ("Input", "Output"):
            found[node.type] = found.get(node.type, 0) + times
    return found


def _timed(function, repeats: int):
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def corpus(names: list[str], repeats: int) -> int:
    entries = [e for e in _entries() if not names or e.name in names]
    print(f"{'model':<27}{'import s':>9}{'build ms':>9}{'ratio':>7}{'layers':>7}{'catalog':>8}{'code':>6}"
          f"{'code %':>7}  outcome")
    times, ratios, catalog_total, code_total, imported = [], [], 0, 0, 0
    for entry in entries:
        inputs = [parse_input(text) for text in entry.inputs]

        def run(entry=entry, inputs=inputs):
            return import_model(entry.path, entry.class_name, entry.args, factory=entry.factory, inputs=inputs)
        try:
            run()  # warm up: the package's own import, first capture of its kernels
            seconds, result = _timed(run, repeats)
        except ModelImportError as e:
            print(f"{entry.name:<27}{'':>9}{'':>9}{'':>7}{'':>7}{'':>8}{'':>6}{'':>7}  refused: "
                  f"{str(e).splitlines()[0][:90]}")
            continue
        build, _ = _timed(lambda: netbuilder.build_model(result.graph), repeats)
        counts = layer_counts(result.graph)
        code, layers = counts.get("Code", 0), sum(counts.values())
        ratio = seconds / build
        times.append(seconds)
        ratios.append(ratio)
        catalog_total += layers - code
        code_total += code
        imported += 1
        print(f"{entry.name:<27}{seconds:>9.2f}{build * 1e3:>9.1f}{ratio:>7.0f}{layers:>7}{layers - code:>8}{code:>6}"
              f"{100 * code / max(layers, 1):>6.0f}%  imports (difference {result.difference:.2g})")
    print(f"imported {imported} of {len(entries)}; import time median {statistics.median(times or [0]):.2f} s,"
          f" max {max(times or [0]):.2f} s; import / build median {statistics.median(ratios or [0]):.0f}x")
    total = catalog_total + code_total
    print(f"layers of the imported documents: {total}, catalog {catalog_total}"
          f" ({100 * catalog_total / max(total, 1):.0f}%), Code {code_total} ({100 * code_total / max(total, 1):.0f}%)")
    return 0


def templates(repeats: int) -> int:
    torch.manual_seed(0)
    folder = Path(tempfile.mkdtemp())
    print(f"{'template':<26}{'build ms':>10}{'import ms':>11}{'ratio':>8}{'max diff':>11}")
    ratios = []
    for path in TEMPLATES:
        graph = io.load(path, check_node)
        model = netbuilder.build_model(graph)
        weights, code = folder / f"{path.stem}.pt", folder / f"{path.stem}.py"
        torch.save(model.state_dict(), weights)
        code.write_text(netbuilder.export_source(graph))
        shapes = [n.params["shape"] for n in graph.nodes() if n.type == "Input"]
        name = _class_name(graph, None)
        import_model(code, name, None, shapes, weights)  # warm up (first capture, kernels)
        build, _ = _timed(lambda: netbuilder.build_model(graph), repeats)
        imported, result = _timed(lambda: import_model(code, name, None, shapes, weights), repeats)
        ratio = imported / build
        ratios.append(ratio)
        print(f"{path.stem:<26}{build * 1e3:>10.1f}{imported * 1e3:>11.1f}{ratio:>8.1f}{result.difference:>11.2g}")
    print(f"import / build, median over templates: {statistics.median(ratios):.1f}x")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="corpus entries (all by default)")
    parser.add_argument("--templates", action="store_true", help="the templates' exported source instead")
    parser.add_argument("--repeats", type=int, default=3, help="timed imports per model (the median is shown)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the packages' own deprecation warnings
    return templates(args.repeats) if args.templates else corpus(args.names, args.repeats)


if __name__ == "__main__":
    sys.exit(main())
