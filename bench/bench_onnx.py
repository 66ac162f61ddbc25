"""The exported network against the compiled one, on the CPU: inference latency of the ONNX file in
onnxruntime (and of the TorchScript file) against the compiled module (a torch.fx GraphModule, eval mode,
inference_mode), at batch 1 and 64, for the MLP, CNN and ResNet templates.

    .venv/bin/python bench/bench_onnx.py

Each network is exported with netbuilder.deploy.formats.export_network (fresh weights; the export checks the
outputs match), then the runtimes are timed in turn, one call each, many times (ABBA order: who goes first
alternates), so all see the same machine noise. "ratio" is the median over these pairs of exported /
compiled latency (below 1: the export is faster), "IQR" its quartiles. torch and onnxruntime use one thread
each (this machine has two cores, shared). ORT is given NumPy arrays made before timing, as a caller of ORT
would hold them; the compiled module is given tensors. The last row times the compiled module against a
copy of itself: its distance from 1.00 is the noise floor of the run.
"""
from __future__ import annotations

import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import onnxruntime
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import netbuilder  # noqa: E402
from netbuilder.compile import build_model, example_inputs  # noqa: E402
from netbuilder.deploy.formats import export_network  # noqa: E402

torch.set_num_threads(1)
TEMPLATES = ["mlp_digits", "cnn_digits", "resnet_digits"]
BATCHES = [1, 64]
SECONDS = 2.0  # per template and batch, split into alternating pairs
MIN_PAIRS = 50


def session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def pairs(base, other) -> tuple[list[float], float]:
    """Ratios other / base of one call each, alternating who goes first; and base's median time in ms."""
    for _ in range(5):  # warm up both
        base(), other()
    ratios, times, start, i = [], [], time.perf_counter(), 0
    while len(ratios) < MIN_PAIRS or time.perf_counter() - start < SECONDS:
        first, second = (base, other) if i % 2 == 0 else (other, base)
        t0 = time.perf_counter()
        first()
        t1 = time.perf_counter()
        second()
        t2 = time.perf_counter()
        a, b = (t1 - t0, t2 - t1) if i % 2 == 0 else (t2 - t1, t1 - t0)
        ratios.append(b / a)
        times.append(a)
        i += 1
    return ratios, statistics.median(times) * 1000


def row(name: str, batch: int, ratios: list[float], base_ms: float) -> str:
    q = statistics.quantiles(ratios, n=4)
    return f"{name:<34} {batch:>5}  {statistics.median(ratios):6.2f}  {q[0]:5.2f}-{q[2]:<5.2f}  {base_ms:9.3f}"


def main() -> None:
    print(f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, 1 thread each")
    print(f"{'exported / compiled':<34} {'batch':>5}  {'ratio':>6}  {'IQR':<11}  {'compiled ms':>9}")
    folder = Path(tempfile.mkdtemp(prefix="bench_onnx_"))
    for name in TEMPLATES:
        graph = netbuilder.load_graph(ROOT / "templates" / f"{name}.json")
        model = build_model(graph).eval()
        torch.save(model.state_dict(), folder / "w.pt")
        done = export_network(graph, None, "onnx", folder / f"{name}.onnx", weights=str(folder / "w.pt"))
        script = export_network(graph, None, "torchscript", folder / f"{name}.pt", weights=str(folder / "w.pt"))
        ort, jit = session(done.path), torch.jit.load(script.path).eval()
        names = [i.name for i in ort.get_inputs()]
        for batch in BATCHES:
            inputs = example_inputs(graph, batch)
            feed = {n: x.numpy() for n, x in zip(names, inputs)}

            def compiled():
                with torch.inference_mode():
                    model(*inputs)

            def scripted():
                with torch.inference_mode():
                    jit(*inputs)

            print(row(f"{name}: onnxruntime", batch, *pairs(compiled, lambda: ort.run(None, feed))))
            print(row(f"{name}: torchscript", batch, *pairs(compiled, scripted)))
    graph = netbuilder.load_graph(ROOT / "templates" / "mlp_digits.json")
    model = build_model(graph).eval()
    twin, inputs = copy.deepcopy(model), example_inputs(graph, 64)

    def own():
        with torch.inference_mode():
            model(*inputs)

    def copied():
        with torch.inference_mode():
            twin(*inputs)

    print(row("noise floor: compiled / its copy", 64, *pairs(own, copied)))


if __name__ == "__main__":
    main()
