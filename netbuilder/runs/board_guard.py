"""TensorBoard for as long as the process that started it lives. Run as a script by board.py, which keeps the
write end of this process's stdin: when that process ends in any way (it quits, crashes or is killed) the
operating system closes the pipe, the read below sees its end, and this process stops its whole process group
(TensorBoard and the data server it may start; board.py makes the group this process's own). It imports
nothing of netbuilder, so it starts as fast as TensorBoard does.

    python board_guard.py --logdir DIR --host 127.0.0.1 --port N ..."""
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]  # run as a script: no shadowing modules


def _stop_when_orphaned() -> None:
    try:
        while sys.stdin.buffer.read(1 << 12):
            pass
    except (OSError, ValueError):
        pass
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():  # never the group of whoever started this
        os.killpg(os.getpgrp(), signal.SIGTERM)  # TensorBoard's children (and this process)
    os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=_stop_when_orphaned, name="board-guard", daemon=True).start()
    from tensorboard.main import run_main

    sys.argv = ["tensorboard", *sys.argv[1:]]
    run_main()
