"""A run's status on disk is the one the window shows: paused while a pause holds it, running while a live
process trains it, interrupted once that process is gone, so `netbuilder runs` in a terminal says the same."""
import os
import socket
import subprocess
import sys
import textwrap
import time

from netbuilder import GraphBuilder
from netbuilder.cli import main
from netbuilder.processes import started, still_running, this_process
from netbuilder.runs.recorder import RunRecorder
from netbuilder.runs.run import Run, document_folder
from netbuilder.train import Callback, TrainConfig, make_trainer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GONE = 2**22 + 12345  # above Linux's largest pid: no such process


def mlp():
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    b.graph.meta["training"] = {"epochs": 1, "batch_size": 64}
    return b.graph


class PauseAt(Callback):
    """Pauses the run at a step; when the pause takes effect, reads the run's status from disk and resumes it."""

    def __init__(self, run, at):
        self.run, self.at, self.seen = run, at, []

    def on_step_end(self, trainer, step):
        if step.global_step == self.at:
            trainer.pause()

    def on_pause(self, trainer):
        self.seen.append(("paused", Run.load(self.run.folder).status))
        trainer.resume()

    def on_resume(self, trainer):
        self.seen.append(("resumed", Run.load(self.run.folder).status))


def test_a_pause_is_written_to_the_run_folder_and_a_resume_too(tmp_path):
    graph = mlp()
    run = Run.create(tmp_path, graph)
    pauser = PauseAt(run, 2)
    trainer, _ = make_trainer(graph, TrainConfig.from_dict(graph.meta["training"]), [RunRecorder(run), pauser])
    assert trainer.run().status == "finished"
    assert pauser.seen == [("paused", "paused"), ("resumed", "running")]
    assert Run.load(run.folder).status == "finished"


def test_a_run_reads_back_as_training_only_while_its_process_runs(tmp_path):
    run = Run.create(tmp_path, mlp())
    assert run.owner == this_process() and Run.load(run.folder).status == "running"
    for owner in ({"host": socket.gethostname(), "pid": GONE, "started": None},  # the process is gone
                  {**this_process(), "started": (started(os.getpid()) or 0) + 1},  # its pid belongs to another now
                  {**this_process(), "host": "another-machine"},  # it cannot be asked
                  {}):  # a run of an older version
        run.owner = owner
        run.status = "paused"
        run.save()
        assert not still_running(owner) and Run.load(run.folder).status == "interrupted"


CHILD = textwrap.dedent("""
    import sys
    from netbuilder.graph.io import load
    from netbuilder.layers import check_node
    from netbuilder.runs.recorder import RunRecorder
    from netbuilder.runs.run import Run, document_folder
    from netbuilder.train import Callback, TrainConfig, make_trainer

    class PauseAt(Callback):
        def on_step_end(self, trainer, step):
            if step.global_step == 1:
                trainer.pause()  # and nobody resumes it: the process waits until it is killed

    graph = load(sys.argv[1], check_node)
    run = Run.create(document_folder(sys.argv[1], ""), graph)
    trainer, _ = make_trainer(graph, TrainConfig.from_dict(graph.meta["training"]), [RunRecorder(run), PauseAt()])
    trainer.run()
""")


def test_runs_in_a_terminal_shows_a_run_paused_in_another_process_then_interrupted_once_it_is_gone(tmp_path,
                                                                                                  capsys):
    path = tmp_path / "net.json"
    mlp().save(path)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], env={**os.environ, "PYTHONPATH": ROOT})
    try:
        folder = document_folder(str(path), "")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            runs = [Run.load(f) for f in folder.iterdir()] if folder.is_dir() else []
            if runs and runs[0] is not None and runs[0].status == "paused":
                break
            time.sleep(0.1)
        assert main(["runs", str(path)]) == 0
        row = capsys.readouterr().out.splitlines()[1]
        assert row.startswith("run 1") and row.split()[2] == "paused"
    finally:
        child.kill()
        child.wait()
    assert main(["runs", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[2] == "interrupted"
