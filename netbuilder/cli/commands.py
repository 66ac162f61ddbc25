"""netbuilder           open the editor
netbuilder check FILE                      shapes, parameter counts and problems
netbuilder export FILE --format py -o OUT  readable PyTorch source (--format script: a training script)
netbuilder export FILE --format onnx|torchscript -o OUT [--run RUN|--weights PT]   a checked ONNX/TorchScript file
netbuilder train FILE [--dataset NAME|PATH] [--epochs N] [--out DIR]   train in the terminal, as a new run
netbuilder runs FILE                       the document's runs: status, settings that differ, results
netbuilder sweep FILE --vary lr=1e-4..1e-1:log --trials N [--sampler tpe|random|grid] [--prune] [--storage URL]
netbuilder tensorboard FILE                TensorBoard on the document's runs, in the browser
netbuilder predict FILE --run RUN INPUT... [--top K] [--explain saliency|ig|gradcam --out DIR]
netbuilder evaluate FILE --run RUN [--anomaly [--rows CSV]]   test results; anomaly scores, threshold, ROC AUC
netbuilder generate FILE --run RUN [--count N] [--seed S] --out DIR   samples of a GAN, VAE or diffusion run;
                    a language model's text: [--prompt "..."] [--length N] [--temperature T] [--top-k K]
                    [--count N --out DIR]
netbuilder import MODEL.py --class NAME | --factory NAME [--args JSON] --input-shape 1x28x28 | --input NAME:DTYPE:SHAPE
                 [--weights PT] -o FILE.json
netbuilder optimize FILE --run RUN [--quantize dynamic|static] [--prune 0.5] [--finetune N] --out DIR
netbuilder serve FILE [--run RUN|--weights PT|--onnx MODEL] [--host 127.0.0.1] [--port 8000]   an HTTP service
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import boundary, log_threads, start_logging
from . import generate as generate_cli
from .evaluate import add_parser as evaluate_parser, evaluate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netbuilder", description="Build neural networks visually.")
    sub = parser.add_subparsers(dest="command")
    p_check = sub.add_parser("check", help="print each node's output shape and parameters, or the problems")
    p_check.add_argument("file")
    p_check.add_argument("--data", action="store_true",
                         help="also check the network against the document's dataset (it is read)")
    p_check.add_argument("--trust-code", action="store_true",
                         help="run the Python code of the document's Code layers (only code you have read)")
    p_export = sub.add_parser("export", help="write the network as PyTorch source")
    p_export.add_argument("file")
    p_export.add_argument("--format", choices=["py", "script", "onnx", "torchscript"], default="py",
                          help="py: the network's class; script: a standalone training script (torch, numpy);"
                          " onnx, torchscript: the network with weights, checked against it after writing")
    p_export.add_argument("-o", "--output", required=True, help="where to write the .py file")
    p_export.add_argument("--network", help="export only the network with this Output name")
    p_export.add_argument("--trust-code", action="store_true",
                          help="run the Python code of the document's Code layers (only code you have read)")
    p_export_weights = p_export.add_mutually_exclusive_group()
    p_export_weights.add_argument("--run", help="onnx, torchscript: the weights of this run of the document (name,"
                                  " id or folder; its best.pt, else last.pt); default: freshly initialised weights")
    p_export_weights.add_argument("--weights", help="onnx, torchscript: the weights in this checkpoint or state dict")
    p_train = sub.add_parser("train", help="train in the terminal: progress, metrics CSV, checkpoints")
    p_train.add_argument("file")
    p_train.add_argument("--dataset", help="a built-in dataset (digits, moons, spirals, circles, blobs,"
                         " regression_1d, sine_forecast, adding_problem, digits_rows, ring, scattered_digits, mnist,"
                         " fashion_mnist, cifar10) or a CSV, .npy/.npz or image folder; default: the document's own")
    p_train.add_argument("--trust-code", action="store_true",
                         help="run the Python code of the document's Code layers (only code you have read)")
    p_train.add_argument("--download", action="store_true",
                         help="download a standard dataset (mnist, fashion_mnist, cifar10) if it is missing")
    p_train.add_argument("--epochs", type=int)
    p_train.add_argument("--lr", type=float)
    p_train.add_argument("--batch-size", type=int)
    p_train.add_argument("--optimizer", choices=["sgd", "adam", "adamw", "rmsprop"])
    p_train.add_argument("--loss", choices=["cross_entropy", "bce_with_logits", "mse", "l1", "nll"])
    p_train.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    p_train.add_argument("--seed", type=int)
    p_train.add_argument("--out", help="the run's folder (metrics.csv, best.pt, last.pt); default: a new run"
                         " in the document's runs folder, where the editor shows it")
    p_train.add_argument("--nproc-per-node", type=int, help="train with N processes through torchrun"
                         " (DistributedDataParallel; the exported training script, written into the run's folder)")
    p_runs = sub.add_parser("runs", help="list the document's runs with their status, settings and results")
    p_runs.add_argument("file")
    p_sweep = sub.add_parser("sweep", help="try values of settings or layer parameters with Optuna, a run each")
    p_sweep.add_argument("file")
    p_sweep.add_argument("--trust-code", action="store_true",
                         help="run the Python code of the document's Code layers (only code you have read)")
    p_sweep.add_argument("--vary", action="append", required=True, metavar="NAME=RANGE",
                         help="what to vary: lr=1e-4..1e-1:log, batch_size=16..128, fc1.out_features=16,32,64,"
                         " optimizer=adam,sgd (1 to 4 of them)")
    p_sweep.add_argument("--trials", type=int, default=10)
    p_sweep.add_argument("--sampler", choices=["tpe", "random", "grid"], default="tpe")
    p_sweep.add_argument("--metric", choices=["val_loss", "val_accuracy"], default="val_loss")
    p_sweep.add_argument("--prune", action="store_true", help="stop trials worse than the median early")
    p_sweep.add_argument("--storage", help="an Optuna storage URL (sqlite:///study.db, or a shared database: several"
                         " processes or machines then work on one study); default: sweeps.db beside the runs")
    p_sweep.add_argument("--study", help="the study's name (default: one made from the file and what is varied,"
                         " so running the same command again goes on with it)")
    p_sweep.add_argument("--epochs", type=int, help="epochs per trial (default: the document's)")
    p_sweep.add_argument("--out", help="the folder of the trials' runs (default: the document's runs folder)")
    p_predict = sub.add_parser("predict", help="the trained network's answer for images, arrays or CSV rows")
    p_predict.add_argument("file")
    p_predict.add_argument("--trust-code", action="store_true",
                           help="run the Python code of the document's Code layers (only code you have read)")
    p_predict.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, .npy/.npz arrays, CSV files")
    p_predict.add_argument("--run", help="a run of the document (its name or id): its best.pt, else last.pt")
    p_predict.add_argument("--weights", help="a checkpoint or state dict file instead")
    p_predict.add_argument("--top", type=int, default=3)
    p_predict.add_argument("--explain", choices=["saliency", "ig", "gradcam"],
                           help="write a picture of what drove each answer (needs --out)")
    p_predict.add_argument("--out", help="where the pictures go")
    evaluate_parser(sub)
    p_board = sub.add_parser("tensorboard", help="open TensorBoard on the document's runs (Ctrl+C stops it)")
    p_board.add_argument("file")
    p_board.add_argument("--port", type=int, help="default: a free port")
    p_board.add_argument("--no-browser", action="store_true", help="only print its address")
    p_import = sub.add_parser("import", help="a document from a PyTorch model's class, traced with torch.fx")
    p_import.add_argument("model", metavar="MODEL.py")
    p_import.add_argument("--class", dest="class_name", metavar="NAME", help="the nn.Module class")
    p_import.add_argument("--factory", metavar="NAME", help="instead of --class: a function of the file that returns"
                          " the model (the way to build config objects)")
    p_import.add_argument("--args", help="the class's (or factory's) arguments as JSON: '{\"hidden\": 64}' (or a"
                          " list)")
    p_import.add_argument("--input-shape", action="append", metavar="SHAPE",
                          help="one sample's shape without the batch, once per argument of forward: 1x28x28")
    p_import.add_argument("--input", action="append", metavar="NAME:DTYPE:SHAPE",
                          help="instead of --input-shape, once per argument of forward: its name, dtype and whole"
                          " shape, the batch included, in the model's layout: tokens:int64:35,20")
    p_import.add_argument("--weights", metavar="PT", help="a state dict of the class: the document's first run,"
                          " 'imported weights'")
    p_import.add_argument("-o", "--output", required=True, metavar="FILE.json", help="the document to write")
    generate_cli.add_parser(sub)
    from .optimize import add_parser as add_optimize
    from .serve import add_parser as add_serve

    add_optimize(sub)
    add_serve(sub)
    p_gui = sub.add_parser("gui", help="open the editor (the default)")
    p_gui.add_argument("file", nargs="?")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] not in sub.choices and not argv[0].startswith("-") and Path(argv[0]).is_file():
        argv.insert(0, "gui")  # `netbuilder net.json` opens it, as an editor does
    args, rest = parser.parse_known_args(argv)
    if args.command in (None, "gui"):
        from ..ui.app import run

        return run(([args.file] if getattr(args, "file", None) else []) + rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    command = {"check": check, "export": export, "train": train, "runs": runs, "sweep": sweep,
               "tensorboard": tensorboard, "predict": predict, "import": import_model, "evaluate": evaluate,
               "generate": generate_cli.generate, "optimize": optimize, "serve": serve}[args.command]
    start_logging()  # a failed run's traceback goes to the log, not the terminal
    log_threads()  # and so does a thread's (TensorBoard's writer)
    try:
        with boundary():  # what the user gave: its message; a bug: "an internal error", traceback in the log
            return command(args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1


def require_trust(graph, where: str, allowed: bool) -> None:
    """A document with Code layers runs their code only when the user has trusted it (--trust-code)."""
    from ..layers.code import require_trust as require

    require(graph, where, allowed)


def _load(path: str):
    from .. import FileFormatError, load_graph

    try:
        return load_graph(path)
    except FileFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def _trusted(args):
    """The document named on the command line, its Code layers allowed to run (--trust-code, or trusted in
    the editor before; else refused); None when it cannot be read (said)."""
    graph = _load(args.file)
    if graph is not None:
        require_trust(graph, args.file, args.trust_code)
    return graph


def _data_problems(graph, names: dict) -> list:
    """What does not fit the document's dataset, as the window's Problems panel shows it: printed; the
    errors returned."""
    from ..data.dataset import DataSpec, prepare
    from ..train.config import TrainConfig
    from ..train.fitting import data_problems

    spec = DataSpec.from_dict(graph.meta.get("data"))
    prepared = prepare(spec)
    found = data_problems(graph, TrainConfig.from_dict(graph.meta.get("training")), prepared, spec)
    for p in found:
        fix = f" (fix: {p.fix.label})" if p.fix else ""
        print(f"{p.severity}: {p.describe(names)}{fix}", file=sys.stderr if p.severity == "error" else sys.stdout)
    return [p for p in found if p.severity == "error"]


def check(args) -> int:
    from ..analysis import Analysis
    from ..compile import param_count
    from ..compile.build import TooLarge

    graph = _trusted(args)
    if graph is None:
        return 2
    analysis = Analysis(graph)
    names = {n.id: n.name for n in graph.nodes()}
    problems = analysis.problems()
    rows, total, trainable, too_large = [], 0, 0, []
    for node_id in analysis.ordered_nodes():
        node = graph.node(node_id)
        out = analysis.shown_type(node_id)
        count = "0"
        if out is not None:
            try:
                number, train = param_count(node.type, node.params, analysis.input_list(node_id), graph)
                total, trainable, count = total + number, trainable + train, f"{number:,}"
            except TooLarge as e:
                count, too_large = "too many", too_large + [f"{node.name}: {e}"]
        kind = node.type if node.type != "Block" else \
            f"{node.params.get('block')}" + (f" ×{node.params['repeat']}" if node.params.get("repeat", 1) > 1 else "")
        rows.append((node.name, kind, str(out) if out else "?", count))
    widths = [max(len(r[i]) for r in rows + [("name", "type", "output", "params")]) for i in range(4)]
    for row in [("name", "type", "output", "params")] + rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:>{widths[3]}}")
    print(f"total parameters: {total:,} ({trainable:,} trainable)")
    errors = [p for p in problems if p.severity == "error"] + too_large
    for text in too_large:
        print(f"error: {text}", file=sys.stderr)
    for p in problems:
        print(f"{p.severity}: {p.describe(names)}", file=sys.stderr if p.severity == "error" else sys.stdout)
    from ..train.settings import settings_problems

    warnings: list[str] = []
    settings = settings_problems(graph.meta, warnings)
    for text in warnings:
        print(f"warning: {text}")
    for text in settings:
        print(f"error: {text}", file=sys.stderr)
    if args.data and not settings:
        errors += _data_problems(graph, names)
    if settings and not errors:
        print(f"{len(settings)} problem(s) in the settings of {args.file}", file=sys.stderr)
        return 1
    if errors:
        print(f"{len(errors)} problem(s): {args.file} does not compile", file=sys.stderr)
        return 1
    return 0


def export(args) -> int:
    from .. import export_source
    from ..atomic import write_atomic

    graph = _trusted(args)
    if graph is None:
        return 2
    if args.format in ("onnx", "torchscript"):
        from ..deploy.formats import export_file

        return export_file(graph, args.file, args.format, args.output, args.run, args.weights, args.network)
    if args.run or args.weights:
        print(f"error: --run and --weights go with --format onnx or torchscript ({args.format} has no weights)",
              file=sys.stderr)
        return 1
    if args.format == "script":
        from ..deploy.script import write_script

        print(f"wrote {', '.join(map(str, write_script(graph, args.output, args.network)))}")
        return 0
    try:
        source = export_source(graph, args.network)
    except KeyError as e:  # no network of that name
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 1
    write_atomic(args.output, source)  # a full disk leaves an existing file as it was
    print(f"wrote {args.output}")
    return 0


def train(args) -> int:
    from .train import train_file

    graph = _trusted(args)
    if graph is None:
        return 2
    overrides = {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                 "optimizer": args.optimizer, "device": args.device, "seed": args.seed, "loss": args.loss}
    if args.nproc_per_node is not None:
        from ..deploy.script import train_distributed

        return train_distributed(graph, args.nproc_per_node, Path(args.out) if args.out else None, args.file,
                                 overrides, args.dataset)
    return train_file(graph, args.dataset, Path(args.out) if args.out else None, overrides,
                      download=args.download, document=args.file)


def runs(args) -> int:
    from ..runs.run import differing_settings, document_folder, list_runs

    if _load(args.file) is None:
        return 2
    folder = document_folder(args.file, "")
    found = list_runs(folder)
    if not found:
        print(f"{args.file} has no runs yet (they would be in {folder})")
        return 0
    differ = differing_settings(found)
    header = ["run", "status", "started", "trained", "result", *differ]
    rows = [[r.name, r.status.replace("_", " "), r.when, str(r.epochs_done), r.summary(),
             *(str(r.settings.get(k, "")) for k in differ)] for r in found]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print(f"{len(found)} run(s) in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def sweep(args) -> int:
    from .train import sweep_file

    graph = _trusted(args)
    if graph is None:
        return 2
    return sweep_file(graph, args.vary, args.trials, args.sampler, args.metric, args.prune, args.storage, args.study,
                      Path(args.out) if args.out else None, args.file, args.epochs)


def tensorboard(args) -> int:
    import webbrowser

    from ..runs.board import Board
    from ..runs.run import document_folder

    if _load(args.file) is None:
        return 2
    board = Board(document_folder(args.file, ""))
    try:
        board.start(args.port)
        url = board.wait()
        print(f"TensorBoard on the runs of {args.file}: {url} (Ctrl+C stops it)")
        if not args.no_browser:
            webbrowser.open(url)
        board.process.wait()
        problem = board.failed()
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        board.stop()


def predict(args) -> int:
    from ..deploy.predict import predict_files

    graph = _trusted(args)
    if graph is None:
        return 2
    return predict_files(graph, args.file, args.inputs, args.run, args.weights, args.top, args.explain,
                         Path(args.out) if args.out else None)


def optimize(args) -> int:
    from .optimize import optimize as run

    graph = _trusted(args)
    if graph is None:
        return 2
    return run(args, graph)


def serve(args) -> int:
    from .serve import serve as run

    graph = _trusted(args)
    if graph is None:
        return 2
    return run(args, graph)


def import_model(args) -> int:
    from ..compile.importer.inputs import parse_inputs
    from ..compile.importer.model import ModelImportError, import_model as convert, parse_args, parse_shape
    from ..runs.imported import save_imported

    if bool(args.class_name) == bool(args.factory):
        raise ModelImportError("netbuilder import: give --class NAME (an nn.Module class of the file) or --factory NAME"
                               " (a function of the file that returns the model), one of the two")
    if args.input and args.input_shape:
        raise ModelImportError("netbuilder import: give the inputs with --input NAME:DTYPE:SHAPE or with"
                               " --input-shape SHAPE, not both")
    shapes = [parse_shape(text) for text in args.input_shape or []]
    inputs = parse_inputs(args.input)
    imported = convert(args.model, args.class_name, parse_args(args.args), shapes or None, args.weights,
                       factory=args.factory, inputs=inputs or None)
    run = save_imported(imported, args.output, args.weights)
    layers = sum(1 for n in imported.graph.nodes() if n.type not in ("Input", "Output"))
    print(f"wrote {args.output}: {layers} layers from {imported.source}; the document's outputs match the model's"
          f" (largest difference {imported.difference:.2g}){imported.left_out()}")
    for note in imported.notes:
        print(f"note: {note}")
    if run is not None:
        print(f"weights: run '{run.name}' in {run.folder}")
    return 0
