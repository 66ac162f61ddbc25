"""A run's folder holds TensorBoard event files that TensorBoard's own reader parses, with the expected tags."""
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import TrainConfig, Trainer
from netbuilder.train.callbacks.tensorboard import TensorBoardLog


def test_event_files_hold_the_runs_curves_histograms_and_graph(tmp_path):
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), name="fc1", out_features=16)
    b.add("Output", b.add("Linear", b.add("ReLU", h), name="fc2", out_features=10))
    trainer = Trainer(b.graph, TrainConfig(epochs=2, device="cpu"), *digits(seed=0),
                      callbacks=[TensorBoardLog(tmp_path)])
    assert trainer.run().status == "finished"
    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    tags = events.Tags()
    assert {"step/loss", "epoch/lr", "epoch/loss", "epoch/val_loss", "epoch/val_accuracy",
            "gradient_norm/fc1", "gradient_norm/fc2"} <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("epoch/val_loss")] == [trainer.global_step // 2, trainer.global_step]
    assert "weights/fc1.weight" in tags["histograms"] and "gradients/fc2.weight" in tags["histograms"]
    assert tags["graph"]
    losses = events.Scalars("step/loss")
    assert 0 < len(losses) <= trainer.global_step and losses[-1].step == trainer.global_step - 1
    trial = tmp_path / "trial"  # a sweep's trial: its values and results, for TensorBoard's HParams view
    Trainer(b.graph, TrainConfig(epochs=1, device="cpu"), *digits(seed=0),
            callbacks=[TensorBoardLog(trial, hparams={"lr": 0.001, "optimizer": "adam"})]).run()
    written = {value.tag for path in trial.glob("events.out.tfevents.*")
               for event in EventFileLoader(str(path)).Load() for value in event.summary.value}
    assert {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"} <= written
    # the trial's hyperparameters with its results, for TensorBoard's HParams view
    assert "hparam/val_accuracy" in written


def test_tensorboard_starts_on_the_runs_folder_answers_and_stops(tmp_path):
    from netbuilder.runs.board import Board

    board = Board(tmp_path)
    url = board.start()
    try:
        assert board.wait(90) == url and url.startswith("http://127.0.0.1:")
        import urllib.request

        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200
    finally:
        board.stop()
    assert board.process is None


def test_a_taken_port_is_said(tmp_path):
    import socket

    import pytest

    from netbuilder.runs.board import Board, BoardError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        board = Board(tmp_path)
        board.start(port=taken.getsockname()[1])
        try:
            with pytest.raises(BoardError, match="TensorBoard stopped"):
                board.wait(90)
        finally:
            board.stop()


def _alive_in_group(group: int) -> list[int]:
    """The processes of process group `group` that have not ended (zombies left out), from /proc."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_tensorboard_ends_with_the_process_that_started_it_even_when_that_is_killed(tmp_path):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    import pytest

    import netbuilder

    if not Path("/proc/self/stat").exists():
        pytest.skip("reads the process table from /proc")
    script = ("import sys, time\n"
              "from netbuilder.runs.board import Board\n"
              "board = Board(sys.argv[1])\n"
              "board.start()\n"
              "print(board.process.pid, flush=True)\n"
              "board.wait(90)\n"
              "print('ready', flush=True)\n"
              "time.sleep(600)\n")
    root = str(Path(netbuilder.__file__).parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              env=env)
    guard = None
    try:
        guard = int(parent.stdout.readline())
        assert parent.stdout.readline().strip() == "ready"  # TensorBoard answers
        assert guard in _alive_in_group(guard), "TensorBoard is not in a process group of its own"
        parent.kill()  # a crash: no stop(), no atexit
        parent.wait()
        deadline = time.monotonic() + 60
        while _alive_in_group(guard) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive_in_group(guard), "TensorBoard outlived the process that started it"
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
        for pid in _alive_in_group(guard) + _children(guard) + [guard] if guard else []:  # nothing left running
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def _children(pid: int) -> list[int]:
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
