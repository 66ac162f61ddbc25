"""`netbuilder optimize FILE --run RUN --quantize dynamic|static --prune 0.5 [--finetune N] [--sparsify R] --out DIR`:
the run's network in int8 and pruned (and, as a lesson, with a share of its weights set to zero), each version
measured against the original on the run's test set, the table printed and written into DIR."""
from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("optimize", help="quantize and prune a trained run; print the table against the original")
    p.add_argument("file")
    p.add_argument("--run", required=True, help="a run of the document (its name, id or folder)")
    p.add_argument("--quantize", choices=["dynamic", "static", "auto"],
                   help="int8 through ONNX Runtime: dynamic (Linear and recurrent networks), static (calibrated on"
                   " training batches, per-channel: convolutional networks), auto (the one that suits the network)")
    p.add_argument("--prune", type=float, metavar="RATIO", help="remove this share of the hidden layers' channels"
                   " and units (structured, Torch-Pruning); the pruned document is written to --out")
    p.add_argument("--global", dest="global_pruning", action="store_true",
                   help="prune the weakest channels over the whole network instead of the same share of each layer")
    p.add_argument("--sparsify", type=float, metavar="RATIO", help="the lesson of unstructured pruning: set this share"
                   " of the weights to zero (torch.nn.utils.prune, the smallest by magnitude; with --global over the"
                   " whole network). The same size and speed: only the non-zero parameters fall")
    p.add_argument("--finetune", type=int, default=0, metavar="N", help="train the pruned network N epochs")
    p.add_argument("--threads", type=int, default=1, help="threads for PyTorch and ONNX Runtime while measuring (this"
                   " command's own process)")
    p.add_argument("--repeats", type=int, default=20, help="repetitions of the latency measurement")
    p.add_argument("--out", required=True, help="the folder for the versions and the table")
    p.add_argument("--trust-code", action="store_true",
                   help="run the Python code of the document's Code layers (only code you have read)")


def optimize(args, graph, stream=None) -> int:
    from ..optimize.report import Plan, optimize_run

    stream = stream or sys.stdout
    plan = Plan(args.quantize, args.prune, args.finetune, args.global_pruning, threads=args.threads,
                repeats=args.repeats, sparsify=args.sparsify, set_torch_threads=True)

    def progress(share: float, text: str) -> None:
        stream.write(f"\r{share:4.0%} {text}".ljust(60))
        stream.flush()

    report = optimize_run(args.file, args.run, plan, Path(args.out), progress)
    stream.write("\n")
    for note in report.notes:
        stream.write(f"{note}\n")
    if report.finetune_run is not None:
        stream.write(f"fine-tuning: run '{report.finetune_run.name}' in {report.finetune_run.folder}\n")
    stream.write(report.text() + "\n")
    for run in report.runs:
        kept = "an ONNX model" if run.onnx_only else "PyTorch weights"
        stream.write(f"kept as a run: '{run.name}' ({kept}) in {run.folder}\n")
    stream.write(f"wrote {', '.join(sorted(p.name for p in report.folder.iterdir() if p.is_file()))} in"
                 f" {report.folder}\n")
    return 0
