"""The exported training script, in one run:
  1. DDP: the CNN template's script under torchrun with 2 CPU processes (gloo) against 1 process, the same
     global batch (32: 16 a process): the loss after one epoch (should agree within 1%) and the time ratio
     (on a 2-core machine no speed-up is expected; the point is that the numbers agree);
  2. the script (python train.py) against `netbuilder train` on the same document and seed: samples/s ratio
     (training and validation time per epoch, from each one's metrics.csv) and the first-epoch loss.
Every command runs with OMP_NUM_THREADS=1 (torchrun sets it for several processes but not for one; a
process with as many threads as cores is slowed badly on a busy machine). Every measurement is repeated
REPEATS times, alternating, and the medians are printed.
Run: .venv/bin/python bench/bench_ddp.py
"""
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netbuilder import load_graph
from netbuilder.deploy.script import write_script

REPEATS = 3
EPOCHS = 3
TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "cnn_digits.json"
TRAIN_SAMPLES = 1259  # the digits' training part (70%)


def metrics(folder: Path) -> list[dict]:
    with open(folder / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # torchrun's choice for several processes, made for one too
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def torchrun(script: Path, processes: int, out: Path) -> tuple[float, float, float]:
    """(loss after one epoch, the epoch's seconds, wall seconds of the whole command)."""
    wall = timed([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
                  str(script), "--epochs", "1", "--out", str(out)], script.parent)
    row = metrics(out)[0]
    return float(row["train_loss"]), float(row["seconds"]), wall


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench_ddp-"))
    script = folder / "train.py"
    write_script(load_graph(TEMPLATE), script)
    print(f"CNN template, {TRAIN_SAMPLES} training samples, global batch 32; {REPEATS} repeats, medians")

    one, two = [], []
    for i in range(REPEATS):
        one.append(torchrun(script, 1, folder / f"one{i}"))
        two.append(torchrun(script, 2, folder / f"two{i}"))
    loss1, loss2 = one[0][0], two[0][0]
    epoch_ratio = statistics.median(b[1] / a[1] for a, b in zip(one, two))
    wall_ratio = statistics.median(b[2] / a[2] for a, b in zip(one, two))
    print("1. DDP (torchrun, gloo, 1 thread a process)")
    print(f"   loss after one epoch: 1 process {loss1:.5f}, 2 processes {loss2:.5f},"
          f" relative difference {abs(loss2 - loss1) / loss1:.2%} (within 1%: {abs(loss2 - loss1) / loss1 < 0.01})")
    print(f"   epoch time, 2 processes / 1: {epoch_ratio:.2f}; whole command: {wall_ratio:.2f}"
          f" (1 process: {statistics.median(a[1] for a in one):.2f} s an epoch)")

    rates, walls, losses = [], [], None
    for i in range(REPEATS):
        app_out, script_out = folder / f"app{i}", folder / f"script{i}"
        app_wall = timed([sys.executable, "-m", "netbuilder", "train", str(TEMPLATE), "--epochs", str(EPOCHS),
                          "--out", str(app_out)], folder)
        script_wall = timed([sys.executable, str(script), "--epochs", str(EPOCHS), "--out", str(script_out)], folder)
        app_rows, script_rows = metrics(app_out), metrics(script_out)
        app_rate = TRAIN_SAMPLES * EPOCHS / sum(float(r["seconds"]) for r in app_rows)
        script_rate = TRAIN_SAMPLES * EPOCHS / sum(float(r["seconds"]) for r in script_rows)
        rates.append(script_rate / app_rate)
        walls.append(script_wall / app_wall)
        losses = float(app_rows[0]["train_loss"]), float(script_rows[0]["train_loss"])
    print(f"2. the script against `netbuilder train` ({EPOCHS} epochs, the same seed, 1 thread each)")
    print(f"   samples/s, script / netbuilder train: {statistics.median(rates):.2f};"
          f" whole command time, script / netbuilder train: {statistics.median(walls):.2f}")
    print(f"   first-epoch loss: netbuilder train {losses[0]:.6f}, script {losses[1]:.6f},"
          f" relative difference {abs(losses[1] - losses[0]) / losses[0]:.1e}")


if __name__ == "__main__":
    main()
