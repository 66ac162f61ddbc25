"""Measure the transfer lesson over seeds (run: python scripts/measure_transfer_lesson.py 0,1,2,3,4): step 1 as a
run, step 2 made from it as the run list's "Start the Lesson's Next Step" makes it, trained; prints each
network's last-epoch validation accuracy and training loss, and the margins over the network from scratch. The
README's template table quotes it. On one thread, as tests/templates/test_transfer_lesson.py trains it: a seed
takes about 2 minutes on a busy 2-core CPU."""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_transfer_lesson import lesson  # noqa: E402

import torch  # noqa: E402

from netbuilder.runs.recorder import RunRecorder  # noqa: E402
from netbuilder.runs.run import Run  # noqa: E402
from netbuilder.runs.start_from import lesson_next_step  # noqa: E402
from netbuilder.train import TrainConfig, make_trainer  # noqa: E402
from netbuilder.train.loop import parts  # noqa: E402


def measure(seed: int) -> None:
    torch.set_num_threads(1)
    start = time.time()
    graph = lesson()
    graph.meta["training"]["seed"] = graph.meta["data"]["seed"] = seed
    run = Run.create(Path(tempfile.mkdtemp()), graph)
    first, _ = make_trainer(graph, TrainConfig.from_dict(graph.meta["training"]), [RunRecorder(run)], run.folder)
    step_one = first.run().epochs[-1].val_acc
    following = lesson_next_step(Run.load(run.folder))
    following.meta["training"]["seed"] = following.meta["data"]["seed"] = seed
    second, _ = make_trainer(following, TrainConfig.from_dict(following.meta["training"]))
    metrics = second.run().epochs[-1].metrics
    last, loss = parts(metrics, "val_accuracy"), parts(metrics, "loss")
    margins = {k: round(100 * (v - last["from_scratch"]), 1) for k, v in last.items() if k != "from_scratch"}
    print(f"seed {seed}: step 1 {step_one:.3f}; step 2", {k: round(v, 3) for k, v in last.items()},
          "points over from_scratch", margins, "training loss", {k: round(v, 3) for k, v in loss.items()},
          f"({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    for seed in (sys.argv[1] if len(sys.argv) > 1 else "0,1,2,3").split(","):
        measure(int(seed))
