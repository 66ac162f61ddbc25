"""write_atomic never replaces what is not a regular file (a device, a pipe, a folder), and the temporary files of
a save that was killed are removed when the document or the run is next opened (issue 26)."""
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import netbuilder
from netbuilder import GraphBuilder
from netbuilder.atomic import NotAFile, remove_stale, write_atomic
from netbuilder.cli import main
from netbuilder.runs.run import Run, list_runs

ROOT = Path(__file__).resolve().parents[1]
MLP = ROOT / "templates" / "mlp_digits.json"
root_only = pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="needs root to make devices")


def export_to(capsys, target) -> tuple[int, str]:
    code = main(["export", str(MLP), "-o", str(target)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    return code, err


def test_a_fifo_is_not_replaced(tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    fifo = folder / "net.py"
    os.mkfifo(fifo)
    code, err = export_to(capsys, fifo)
    assert code == 1 and f"{fifo}: not a regular file (a device, a pipe or a socket)" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in folder.iterdir()] == ["net.py"]  # no temporary file left


def test_a_fifo_behind_a_link_is_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link.json").symlink_to(fifo)
    with pytest.raises(NotAFile):
        write_atomic(tmp_path / "link.json", "{}")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and (tmp_path / "link.json").is_symlink()


def test_a_folder_is_not_replaced(tmp_path):
    folder = tmp_path / "net.py"
    folder.mkdir()
    with pytest.raises(NotAFile, match="a folder"):
        write_atomic(folder, "x = 1\n")
    assert folder.is_dir()


@root_only
def test_a_device_node_is_not_replaced(tmp_path, capsys):
    node = tmp_path / "full"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # the same device as /dev/full
    code, err = export_to(capsys, node)
    assert code == 1 and "not a regular file" in err
    assert stat.S_ISCHR(os.lstat(node).st_mode)


@root_only
def test_dev_full_is_not_replaced(capsys):
    before = os.lstat("/dev/full")
    assert stat.S_ISCHR(before.st_mode)
    try:
        code, err = export_to(capsys, "/dev/full")
        assert code == 1 and "/dev/full: not a regular file" in err
        assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)
    finally:  # should it ever be replaced, the machine gets its device back
        if not stat.S_ISCHR(os.lstat("/dev/full").st_mode):
            os.unlink("/dev/full")
            os.mknod("/dev/full", stat.S_IFCHR | stat.S_IMODE(before.st_mode), before.st_rdev)


# ---- temporary files of a save that was killed --------------------------------------------------------
KILLED_MID_WRITE = """
import sys, time
from netbuilder.atomic import write_atomic

def content(f):
    f.write(b"half of it")
    f.flush()
    print("writing", flush=True)
    time.sleep(600)

write_atomic(sys.argv[1], content)
"""


def killed_while_writing(path: Path) -> list[str]:
    """Start a process that saves `path`, kill it (SIGKILL) in the middle, and return the temporary files of
    `path` there are then."""
    with subprocess.Popen([sys.executable, "-c", KILLED_MID_WRITE, str(path)], stdout=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}) as process:
        try:
            assert process.stdout.readline().strip() == "writing"
        finally:
            process.kill()
            process.wait(timeout=60)
    return [p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.")]


def test_a_killed_save_leaves_the_document_whole_and_its_leftover_goes_when_it_is_opened(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    document = folder / "net.json"
    GraphBuilder().graph.save(document)
    before = document.read_text()
    for killed in range(1, 4):
        assert len(killed_while_writing(document)) == killed
    assert document.read_text() == before
    netbuilder.load_graph(document)
    assert [p.name for p in folder.iterdir()] == ["net.json"]


def test_a_killed_checkpoint_leaves_nothing_once_the_run_is_opened(tmp_path):
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[4]), out_features=2))
    run = Run.create(tmp_path, b.graph)
    assert killed_while_writing(run.folder / "last.pt")
    old = run.folder / "best.pt.part"  # what earlier versions left, a day ago
    old.write_bytes(b"half")
    os.utime(old, (time.time() - 86400,) * 2)
    [listed] = list_runs(tmp_path)
    assert listed.id == run.id
    assert sorted(p.name for p in run.folder.iterdir()) == ["graph.json", "run.json"]


def test_a_reused_run_folder_loses_what_a_killed_run_left_there(tmp_path):
    """`netbuilder train --out FOLDER` again after a run there was killed mid-checkpoint: the new run starts
    without the old run's temporary file."""
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[4]), out_features=2))
    folder = tmp_path / "out"
    folder.mkdir()
    assert killed_while_writing(folder / "last.pt")
    Run.create(tmp_path, b.graph, folder=folder)
    assert sorted(p.name for p in folder.iterdir()) == ["graph.json", "run.json"]


@pytest.mark.parametrize("make", [
    lambda p: p.write_text("{}"),
    lambda p: os.mkfifo(p),
    lambda p: (p.symlink_to(p.with_name("b")), p.with_name("b").symlink_to(p.name)),
], ids=["file", "fifo", "loop"])
def test_a_run_out_that_is_not_a_folder_is_said(tmp_path, capsys, make):
    out = tmp_path / "out"
    make(out)
    code = main(["train", str(MLP), "--epochs", "1", "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 1 and "a run is a folder of files; give another place" in err, err
    assert "File exists" not in err and "Traceback" not in err
    assert ("a loop of symbolic links" if out.is_symlink() else "not a folder") in err


def test_what_a_live_writer_is_writing_is_kept(tmp_path):
    document = tmp_path / "net.json"
    alive = tmp_path / f".net.json.{os.getppid()}.abcdefgh.tmp"  # the test's parent process: running
    alive.write_bytes(b"being written")
    other = tmp_path / ".notes.txt.1.abcdefgh.tmp"  # another file's: not asked about
    other.write_bytes(b"")
    mine = tmp_path / "mine.tmp"  # not of netbuilder's naming
    mine.write_bytes(b"")
    assert remove_stale(tmp_path, document.name) == []
    assert alive.exists() and other.exists() and mine.exists()

    seen = []

    def content(f):  # this process's own write in progress survives a clean-up meanwhile
        f.write(b"{}")
        seen.append(remove_stale(tmp_path))

    write_atomic(document, content)
    assert document.read_text() == "{}" and seen == [[]]
