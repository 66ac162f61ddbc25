"""`netbuilder serve FILE [--run RUN|--weights PT|--onnx MODEL] [--host 127.0.0.1] [--port 8000]
[--max-batch 32 --batch-wait-ms 5]`: the network as an HTTP service (LitServe) until Ctrl+C."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="an HTTP prediction service (POST /predict, /health, /model, /drift, /docs)")
    p.add_argument("file")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--run", help="a run of the document (its name, id or folder): its best.pt, else last.pt; a"
                      " run kept as an ONNX model (an int8 version Optimize made) is served in ONNX Runtime")
    what.add_argument("--weights", metavar="PT", help="a checkpoint or state dict of the document's network")
    what.add_argument("--onnx", metavar="MODEL", help="an ONNX file of the network (netbuilder export or optimize)")
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (this machine only, the default), 0.0.0.0 or ::")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-batch", type=int, default=32, help="requests answered together at most (1: no batching)")
    p.add_argument("--batch-wait-ms", type=float, default=5.0, help="how long a batch waits to fill")
    p.add_argument("--max-body", type=int, default=8 * 2**20, metavar="BYTES", help="the largest request body")
    p.add_argument("--drift-window", type=int, default=500, metavar="N",
                   help="recent inputs compared with the training data (GET /drift)")
    p.add_argument("--trust-code", action="store_true",
                   help="run the Python code of the document's Code layers (only code you have read)")
    p.add_argument("--stop-with-stdin", action="store_true", help="stop when the standard input closes (the program"
                   " that started the service ended, however it ended)")


def _stop_with_stdin() -> None:
    """A thread that reads stdin to its end, then stops this process's group (LitServe's workers with it)."""
    import os
    import signal
    import threading

    def watch() -> None:  # the file descriptor itself: a lock of sys.stdin held here would hang LitServe's forks
        try:
            while os.read(descriptor, 1 << 12):
                pass
        except OSError:
            pass
        if os.getpgrp() == os.getpid():  # only a group of its own
            os.killpg(os.getpgrp(), signal.SIGTERM)
        os._exit(0)

    descriptor = os.dup(sys.stdin.fileno())  # multiprocessing closes stdin in its children, not this copy
    threading.Thread(target=watch, name="stop-with-stdin", daemon=True).start()


def serve(args, graph, stream=None) -> int:
    from ..serve.drift import Thresholds
    from ..serve.model import ServeError, served
    from ..serve.service import serve as run

    stream = stream or sys.stdout
    if args.stop_with_stdin:
        _stop_with_stdin()
    if args.drift_window < 2:
        raise ServeError(f"--drift-window is at least 2 inputs, not {args.drift_window}")
    what = served(args.file, graph, args.run, args.weights, args.onnx)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}"
    example = ", ".join(["0"] * min(what.size, 4)) + (", ..." if what.size > 4 else "")
    stream.write(f"serving {args.file} ({what.describe()['weights']}) on {url} (Ctrl+C stops it)\n"
                 f"  curl -X POST {url}/predict -H 'Content-Type: application/json'"
                 f" -d '{{\"inputs\": [{example}]}}'   ({what.size} numbers per sample, shaped {list(what.shape)})\n"
                 f"  {url}/docs  {url}/model  {url}/drift\n")
    if what.note:
        stream.write(f"note: {what.note}\n")
    stream.flush()
    try:
        run(what, args.host, args.port, args.max_batch, args.batch_wait_ms, args.max_body,
            Thresholds(window=args.drift_window, minimum=min(30, args.drift_window)))
    except KeyboardInterrupt:
        pass
    return 0
