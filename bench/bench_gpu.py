"""The one loop on a CUDA GPU against a plain hand-written PyTorch loop, with and without mixed precision.

The loop keeps per-step values on the device and fetches them a few dozen times a second, so it should
not make the GPU wait for Python every step. Workloads: the CNN template on digits and a LeNet-5 on
MNIST-shaped random data, batch 256, data on the device. Prints samples/s ratios (target >= 0.97).
On a machine without CUDA it says so and exits 0: it is a prepared script, not a test.
Run: .venv/bin/python bench/bench_gpu.py
"""
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_trainer import Channel, lenet5  # noqa: E402

from netbuilder import build_model  # noqa: E402
from netbuilder.data import digits  # noqa: E402
from netbuilder.graph.io import load  # noqa: E402
from netbuilder.layers import check_node  # noqa: E402
from netbuilder.train import TrainConfig, Trainer  # noqa: E402

REPEATS = 7
BATCH = 256
TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "cnn_digits.json"


def plain(model, x, y, epochs: int, amp: bool) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    total = torch.zeros((), device=x.device)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen).to(x.device)
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cuda", enabled=amp):
                loss = loss_fn(model(x[idx]), y[idx])
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            total += loss.detach()  # what a careful hand-written loop logs: no host copy per step
    total.item()


def timed(fn) -> float:
    torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t


def compare(name, graph, x, y, epochs, amp) -> float:
    config = TrainConfig(epochs=epochs, batch_size=BATCH, lr=1e-3, device="cuda", mixed_precision=amp)
    x, y = x.cuda(), y.cuda()
    ratios = []
    for repeat in range(REPEATS):
        trainer = Trainer(graph, config, (x, y), None, callbacks=[Channel()])
        model = build_model(graph).cuda()
        runs = [lambda: plain(model, x, y, epochs, amp), trainer.run]
        if repeat % 2:
            runs.reverse()
        times = [timed(run) for run in runs]
        if repeat % 2:
            times.reverse()
        ratios.append(times[0] / times[1])
    ratio = statistics.median(ratios)
    print(f"{name}, mixed precision {'on' if amp else 'off'}: samples/s Trainer / plain loop {ratio:.3f}"
          f" (runs: {', '.join(f'{r:.3f}' for r in ratios)})")
    return ratio


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device: this bench needs an NVIDIA GPU (it measures the loop on the device)")
        return 0
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, batch {BATCH}")
    (x, y), _ = digits()
    gen = torch.Generator().manual_seed(0)
    images, labels = torch.rand(16384, 1, 28, 28, generator=gen), torch.randint(0, 10, (16384,), generator=gen)
    results = []
    for amp in (False, True):
        results.append(compare("CNN template on digits", load(TEMPLATE, check_node), x, y, 40, amp))
        results.append(compare("LeNet-5 on 28x28 data", lenet5(), images, labels, 3, amp))
    ok = all(r >= 0.97 for r in results)
    print(f"{'PASS' if ok else 'FAIL'}: ratios {', '.join(f'{r:.3f}' for r in results)} (target >= 0.97)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
