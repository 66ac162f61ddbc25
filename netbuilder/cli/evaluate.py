"""`netbuilder evaluate FILE --run RUN [--anomaly]`: a run's results on its test samples. With --anomaly, each
sample's anomaly score, the threshold chosen on validation, ROC AUC and precision/recall at the threshold;
the scores are written as a CSV, and with --rows the rows of a CSV file are scored and those at or above the
threshold written with their scores."""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="a run's results on its test samples; --anomaly: anomaly scores, threshold,"
                       " ROC AUC, precision and recall")
    p.add_argument("file")
    p.add_argument("--run", required=True, help="a run of the document (its name, id or folder)")
    p.add_argument("--anomaly", action="store_true", help="score each sample as normal or anomalous (a"
                   " reconstruction, variational or deep_svdd run)")
    p.add_argument("--percentile", type=float, default=95.0, help="the threshold where validation has no labelled"
                   " anomalies: this percentile of its scores (default 95)")
    p.add_argument("--out", help="--anomaly: where the test samples' scores go (default: anomaly_scores.csv in the"
                   " run's folder)")
    p.add_argument("--rows", metavar="CSV", help="--anomaly: score the rows of this CSV file (numbers, the"
                   " network's input size each; a header line is skipped)")
    p.add_argument("--flagged", metavar="CSV", help="--rows: where the flagged rows go (default: flagged_rows.csv"
                   " in the run's folder)")
    p.add_argument("--trust-code", action="store_true",
                   help="run the Python code of the document's Code layers (only code you have read)")


def run_folder(document: str, run: str) -> Path:
    from ..deploy.predict import run_folder as folder_of

    return folder_of(document, run)  # a run of PyTorch weights or an ONNX model: its test results are in it


def evaluate(args, stream=None) -> int:
    from ..runs.run import Run
    from .commands import require_trust

    stream = stream or sys.stdout
    folder = run_folder(args.file, args.run)
    run = Run.load(folder)
    if run is None:
        raise UserError(f"the run in {folder} could not be read (its run.json is missing or damaged)")
    graph = run.graph()
    require_trust(graph, args.file, args.trust_code)
    if not args.anomaly:
        if args.rows or args.out or args.flagged:
            raise UserError("--out, --rows and --flagged are for anomaly scores: add --anomaly")
        return _results(run, stream)
    return _anomaly(args, run, stream)


def _results(run, stream) -> int:
    found = run.read_evaluation()
    if found is None:
        raise UserError(f"the run '{run.name}' has no test results (it ended before the test, or has no test"
                        " part); for anomaly scores add --anomaly")
    shown = f"test loss {found.loss:.5g} on {found.samples} samples"
    stream.write(shown + (f", accuracy {found.accuracy:.4f}\n" if found.accuracy is not None else "\n"))
    return 0


def _anomaly(args, run, stream) -> int:
    from ..insight.anomaly import evaluate_run, write_scores

    if not 0 < args.percentile < 100:
        raise UserError(f"--percentile must be above 0 and below 100, not {args.percentile:g}")
    evaluation = evaluate_run(run, args.percentile)
    stream.write(f"run '{run.name}' ({run.recipe}), weights {evaluation.weights.name}\n")
    for found in evaluation.reports.values():
        stream.write("\n".join(found.lines()) + "\n")
    out = Path(args.out) if args.out else run.folder / "anomaly_scores.csv"
    write_scores(out, evaluation.main)
    stream.write(f"scores of the {len(evaluation.main.test_scores)} test samples: {out}\n")
    if args.rows:
        _rows(args, run, evaluation, stream)
    return 0


def _rows(args, run, evaluation, stream) -> None:
    from ..deploy.predict import read_inputs
    from ..insight.anomaly import score, write_flagged

    shape = tuple(evaluation.test_inputs[0].shape[1:])
    if len(evaluation.test_inputs) != 1:
        raise UserError("--rows scores a network of one Input")
    (_, rows, _), = read_inputs([args.rows], shape)
    stats, sample = evaluation.prepared.stats, evaluation.prepared.sample_shape
    given = rows.reshape(-1, *sample)  # normalised as the training data was, in the data's own shape
    given = ((given - stats[0]) / stats[1] if stats else given).reshape(rows.shape)
    main = evaluation.main
    scores = score(evaluation.recipe, (given,))[main.score]
    names = evaluation.prepared.raw.feature_names or [f"value {i + 1}" for i in range(rows[0].numel())]
    out = Path(args.flagged) if args.flagged else run.folder / "flagged_rows.csv"
    count = write_flagged(out, scores, main.threshold.value, rows.reshape(len(rows), -1).numpy(),
                          list(names)[:rows[0].numel()], main.score)
    stream.write(f"{args.rows}: {count} of {len(rows)} rows at or above the threshold {main.threshold.value:.5g}:"
                 f" {out}\n")
