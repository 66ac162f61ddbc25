"""Import of a PyTorch model: for each template, its exported source imported back (trace, map, build, weights,
the output check) against compiling the document once (build_model), measured in the same run, and the
largest difference between the model's and the imported document's outputs.

Run: .venv/bin/python bench/bench_import.py
"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import netbuilder
from netbuilder.compile.build import _class_name
from netbuilder.compile.importer.model import import_model
from netbuilder.graph import io
from netbuilder.layers import check_node

TEMPLATES = sorted((Path(__file__).resolve().parent.parent / "templates").glob("*.json"))
REPEATS = 5


def best(seconds) -> float:
    return statistics.median(seconds)


def main() -> int:
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
        import_model(code, name, None, shapes, weights)  # warm up (first torch.fx trace, kernels)
        build, imported, diff = [], [], 0.0
        for _ in range(REPEATS):
            started = time.perf_counter()
            netbuilder.build_model(graph)
            build.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = import_model(code, name, None, shapes, weights)
            imported.append(time.perf_counter() - started)
            diff = max(diff, result.difference)
        ratio = best(imported) / best(build)
        ratios.append(ratio)
        print(f"{path.stem:<26}{best(build) * 1e3:>10.1f}{best(imported) * 1e3:>11.1f}{ratio:>8.1f}{diff:>11.2g}")
    print(f"import / build, median over templates: {statistics.median(ratios):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
