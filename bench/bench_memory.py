"""Peak memory of reading big data files, against the size of the tensors they become (issue 11):
a 200 MB CSV of numbers and a 100 MB .npz of uint8 images. Each is read in a child process; its peak
resident memory above what the process held before reading, divided by the bytes of the resulting x and
y tensors, is printed (target: under 2x).
Run: .venv/bin/python bench/bench_memory.py
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import resource, sys
from netbuilder.data.files import load_path
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
raw = load_path(sys.argv[1])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
size = raw.x.numel() * raw.x.element_size() + raw.y.numel() * raw.y.element_size()
print(before, peak, size)
"""


def measure(path: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
    before, peak, size = map(int, out.stdout.split())
    return (peak - before) * 1024 / size, size / 1e6  # ru_maxrss is in KiB on Linux


def main() -> int:
    folder = Path(tempfile.mkdtemp())
    rng = np.random.default_rng(0)
    csv = folder / "big.csv"
    rows = 800_000
    with open(csv, "w", encoding="utf-8") as f:
        f.write(",".join(f"f{i}" for i in range(30)) + ",label\n")
        block = rng.normal(size=(10_000, 30)).round(5)
        for start in range(0, rows, 10_000):
            labels = rng.integers(0, 5, size=10_000)
            f.write("\n".join(",".join(map(str, r)) + f",{c}" for r, c in zip(block, labels)) + "\n")
    npz = folder / "images.npz"
    np.savez(npz, x=rng.integers(0, 256, size=(32_000, 3, 32, 32), dtype=np.uint8),
             y=rng.integers(0, 10, size=32_000))
    ok = True
    for path in (csv, npz):
        ratio, size = measure(path)
        ok &= ratio < 2
        print(f"{path.name} ({path.stat().st_size / 1e6:.0f} MB on disk): peak {ratio:.2f}x the {size:.0f} MB of tensors")
    print(f"{'PASS' if ok else 'FAIL'}: peak memory under 2x the tensors' size")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
