"""int8 through ONNX Runtime's quantizer, the maintained path (torch.ao.quantization is deprecated in torch 2.13,
and torchao's static path compiles C++ on the user's machine). The network is exported to ONNX as `netbuilder
export` does (checked against the network), pre-processed (shape inference and graph optimisation, as ONNX
Runtime recommends before quantizing), then quantized:

- dynamic: weights int8 ahead of time, activations quantized per batch as it runs; for networks of Linear and
  recurrent layers, where the weights are most of the work and there is nothing to calibrate.
- static: weights int8 per output channel, activations int8 with ranges calibrated on training batches, as
  QuantizeLinear/DequantizeLinear pairs (QDQ) that ONNX Runtime fuses into integer kernels; for convolutional
  networks.

What bench/bench_int8.py measured (batch 64, one thread, a 2-core AMD EPYC with AVX-512 VNNI under a load average
of 5 to 9): int8 pays off where the matrix products are most of the work. An MLP 64-512-512-10 on digits: dynamic
and static 4.5x to 10x faster than the float model in ONNX Runtime; a CNN of 64 and 128 channels and 512 units:
static 2.3x to 2.7x (dynamic 0.2x: its integer convolutions are slow); at most 0.4 points of accuracy lost. On the
templates (5,000 to 14,000 parameters; a batch of 64 takes 0.015 to 0.6 ms) quantizing and dequantizing each
layer's activations costs what the integer arithmetic saves or more (0.05x to 1.3x). int8 activations (S8S8)
against uint8 (U8S8): equal in three interleaved A/B rounds (S8S8 0.14 to 0.20 ms, U8S8 0.14 to 0.16 on the wide
MLP; 2.32 to 2.38 and 2.35 to 2.37 ms on the wide CNN), so the default stays S8S8. Quantizing only Conv/MatMul/Gemm
left float operators between them and more conversions (1.5x against 2.3x to 2.7x on the wide CNN);
per-channel or per-tensor, QDQ or QOperator, reduce_range: no difference that held from one run to the next."""
from __future__ import annotations

import io
import logging
import tempfile
import warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import UserError
from .source import OptimizeError

METHODS = ("dynamic", "static")


@dataclass(frozen=True)
class Setting:
    """How ONNX Runtime's quantizer is asked: `method` dynamic or static; `layout` QDQ (Quantize/DequantizeLinear
    pairs that ONNX Runtime fuses) or QOperator (integer operators written out); `ops` the operator types quantized
    (None: every one the quantizer can); per-channel weight scales; reduce_range (7-bit weights, for old CPUs
    without VNNI); the activations' and weights' types (QUInt8 activations with QInt8 weights is "U8S8")."""
    method: str
    layout: str = "QDQ"
    ops: tuple[str, ...] | None = None
    per_channel: bool = False
    reduce_range: bool = False
    activations: str = "QInt8"
    weights: str = "QInt8"


DEFAULTS = {"dynamic": Setting("dynamic", activations="QUInt8"),
            "static": Setting("static", "QDQ", None, per_channel=True)}
MATRICES = ("Conv", "MatMul", "Gemm")
# every way bench/bench_int8.py tries (dynamic quantization always takes uint8 activations)
SETTINGS = {
    "dynamic (default)": DEFAULTS["dynamic"],
    "dynamic, per-channel": Setting("dynamic", activations="QUInt8", per_channel=True),
    "dynamic, reduce_range": Setting("dynamic", activations="QUInt8", reduce_range=True),
    "dynamic, uint8 weights (U8U8)": Setting("dynamic", activations="QUInt8", weights="QUInt8"),
    "dynamic, MatMul/Gemm only": Setting("dynamic", ops=("MatMul", "Gemm"), activations="QUInt8"),
    "static QDQ S8S8 per-channel (default)": DEFAULTS["static"],
    "static QDQ U8S8 per-channel": Setting("static", "QDQ", None, True, activations="QUInt8"),
    "static QDQ U8S8 per-tensor": Setting("static", "QDQ", None, False, activations="QUInt8"),
    "static QDQ U8S8 reduce_range": Setting("static", "QDQ", None, True, True, activations="QUInt8"),
    "static QDQ U8S8 Conv/MatMul/Gemm only": Setting("static", "QDQ", MATRICES, True, activations="QUInt8"),
    "static QOperator U8S8 per-channel": Setting("static", "QOperator", None, True, activations="QUInt8"),
    "static QOperator U8S8 Conv/MatMul/Gemm": Setting("static", "QOperator", MATRICES, True,
                                                      activations="QUInt8"),
}
CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)


def suggested(model: nn.Module) -> str:
    """static for a convolutional network, dynamic for one of Linear and recurrent layers."""
    return "static" if any(isinstance(m, CONVOLUTIONS) for m in model.modules()) else "dynamic"


def export_onnx(graph, weights: Path, output: Path) -> Path:
    """The network with the weights in `weights` as a checked ONNX file (any batch size)."""
    from ..deploy.formats import export_network

    try:
        return export_network(graph, None, "onnx", output, weights=str(weights)).path
    except UserError as e:
        raise OptimizeError(f"quantizing goes through ONNX, and {e}") from None


def quantize(source: Path, output: Path, method: str | Setting, calibration: list[torch.Tensor] | None = None,
             input_name: str | None = None) -> Path:
    """The int8 version of the ONNX file `source` written to `output`, by `method` ("dynamic" or "static" as
    DEFAULTS says, or a Setting). static needs `calibration` batches (the network's input as it trained) and the
    name of its input."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not isinstance(method, Setting) and method not in METHODS:
        raise OptimizeError(f"quantization is {' or '.join(METHODS)}, not '{method}'")
    setting = method if isinstance(method, Setting) else DEFAULTS[method]
    method = setting.method
    if method == "static" and not calibration:
        raise OptimizeError("static quantization calibrates on training batches, and none were given")
    with tempfile.TemporaryDirectory() as folder, _quiet():
        ready = Path(folder) / "ready.onnx"
        try:
            quant_pre_process(str(source), str(ready), skip_symbolic_shape=False)
        except Exception:  # noqa: BLE001 - a graph the shape inference cannot follow is quantized as it is
            ready = Path(source)
        try:
            common = dict(per_channel=setting.per_channel, reduce_range=setting.reduce_range,
                          op_types_to_quantize=list(setting.ops) if setting.ops else None,
                          weight_type=getattr(QuantType, setting.weights))
            if method == "dynamic":
                quantize_dynamic(str(ready), str(output), **common)
            else:
                quantize_static(str(ready), str(output), _Batches(input_name, calibration),
                                quant_format=getattr(QuantFormat, setting.layout),
                                activation_type=getattr(QuantType, setting.activations), **common)
        except Exception as e:  # noqa: BLE001 - the quantizer's own errors name the operator
            raise OptimizeError(f"ONNX Runtime cannot quantize this network ({method}): {_first_line(e)}") from None
    return output


class _Batches:
    """onnxruntime's CalibrationDataReader: one feed per batch."""

    def __init__(self, name: str, batches: list[torch.Tensor]):
        self.feeds = iter([{name: b.float().numpy()} for b in batches])

    def get_next(self):
        return next(self.feeds, None)


def session(path: Path, threads: int):
    """An ONNX Runtime session on the CPU with `threads` threads for one operator, one between operators."""
    from ..deploy.formats import onnx_session

    return onnx_session(path, threads)


class OnnxModule(nn.Module):
    """An ONNX Runtime session that can be called like the network (a float tensor in, the first output out),
    so the run's recipe scores it as it scores the network."""

    def __init__(self, path: Path, threads: int = 1):
        super().__init__()
        self.path = Path(path)
        self.session = session(self.path, threads)
        self.input = self.session.get_inputs()[0].name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        found = self.session.run(None, {self.input: np.ascontiguousarray(x.detach().float().numpy())})
        return torch.from_numpy(np.asarray(found[0]))


def nonzero_weights(path: Path) -> int:
    """The non-zero numbers in an ONNX file's stored tensors (its weights, and the quantizer's scales)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    return sum(int(np.count_nonzero(numpy_helper.to_array(t))) for t in model.graph.initializer)


@contextmanager
def _quiet():
    """The quantizer logs and warns about each tensor it handles; its failure is what the user is told."""
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


