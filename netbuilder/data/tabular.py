"""A CSV file as RawData: delimiter and header sniffed, text columns one-hot encoded, missing values
refused, dropped or filled as asked, and every problem named by file, row (the line number the user
sees, header included), column and value."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .raw import TASKS, DataError, RawData

MISSING = ("", "na", "n/a", "nan", "?", "null")  # compared lower-case, after stripping spaces
MISSING_MODES = ("error", "drop", "mean")
DELIMITERS = (",", ";", "\t")
MAX_CLASSES = 20  # a numeric target with at most this many whole-number values is a class label
MAX_TYPOS = 3  # at most this many text cells (and at most 5%) in a numeric column are mistakes
SNIFF_LINES = 50


def few(items, limit: int = 5) -> str:
    """'4, 9, 12' or '4, 9, 12, 15, 20 and 3 more'."""
    shown = ", ".join(str(i) for i in items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _plural(word: str, numbers) -> str:
    """'row 4' or 'rows 4, 9 and 2 more'."""
    return f"{word}{'s' * (len(numbers) > 1)} {few(numbers)}"


@dataclass
class _Column:
    name: str
    cells: np.ndarray  # stripped text
    missing: np.ndarray  # bool
    numbers: np.ndarray | None  # float64 with NaN where missing; None for a text column


def load_csv(path, target: str | int | None = None, task: str | None = None, header: bool | None = None,
             missing: str = "error") -> RawData:
    """One sample per row: `target` (a column name or 0-based index, default the last column) is what
    to predict, every other column a feature. missing is "error", "drop" (the rows) or "mean" (fill in)."""
    path = Path(path)
    name = path.name
    if task is not None and task not in TASKS:
        raise DataError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    if missing not in MISSING_MODES:
        raise DataError(f"missing must be one of {', '.join(MISSING_MODES)}, not {missing!r}")
    text, notes = _read_text(path)
    rows, lines = _rows(text, name, notes)
    if header is None:
        header = _has_header(rows, text)
    width = len(rows[0])
    names = _names(rows[0], notes) if header else [f"column {i + 1}" for i in range(width)]
    if header:
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise DataError(f"{name} has a header but no data rows")
    if width < 2:
        raise DataError(f"{name} has a single column ('{names[0]}'), so nothing to learn from besides the target: "
                        "netbuilder looks for cells separated by commas, semicolons or tabs")
    ragged = [i for i, row in enumerate(rows) if len(row) != width]
    if ragged:
        first = ragged[0]
        also = f" (and {_plural('row', [lines[i] for i in ragged[1:]])})" if len(ragged) > 1 else ""
        raise DataError(f"{name} row {lines[first]} has {len(rows[first])} cells, "
                        f"the {'header' if header else 'first row'} has {width}{also}")
    lines = np.asarray(lines)
    columns = [_column(n, cells, lines, name) for n, cells in zip(names, zip(*rows))]
    t = _target_index(target, names, name)
    for i, col in enumerate(columns):
        if i != t and col.missing.all():
            raise DataError(f"{name} column '{col.name}' is empty in every row: remove the column")
    task = _task(columns[t], task, name, notes)
    keep = _missing(columns, t, missing, lines, name, notes)
    x, feature_names = _features([c for i, c in enumerate(columns) if i != t], keep, notes)
    if not feature_names:
        raise DataError(f"{name} has no usable feature columns besides the target '{names[t]}'")
    y, class_names = _target(columns[t], keep, task)
    return RawData(torch.from_numpy(x), torch.from_numpy(y), "table", task, class_names, feature_names, notes)


def _read_text(path: Path) -> tuple[str, list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"could not read {path.name}: {exc.strerror or exc}") from None
    if not data.strip():
        raise DataError(f"{path.name} is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ["read as UTF-16 text"]
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise DataError(f"{path.name} is not a text file (it contains binary bytes): netbuilder reads CSV as text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    sample = text[:4096]
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n\f") or 127 <= ord(ch) < 160)
    if controls > 0.05 * len(sample):
        raise DataError(f"{path.name} is not a text file (it contains binary bytes): netbuilder reads CSV as text")
    return text, [f"read {path.name} as Latin-1 text because it is not UTF-8"]


def _delimiter(sample: str) -> str:
    """The candidate that splits the first lines into the same number (> 1) of cells most often."""
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(r)]
        except csv.Error:
            continue
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = (common > 1, widths.count(common) / len(widths), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _rows(text: str, name: str, notes: list[str]) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows and the file line on which each starts."""
    sample = "\n".join(text.splitlines()[:SNIFF_LINES])
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(sample))
    rows, lines, blank, before = [], [], [], 0
    try:
        for row in reader:
            if any(row):
                rows.append(row)
                lines.append(before + 1)
            else:
                blank.append(before + 1)
            before = reader.line_num
    except csv.Error as exc:
        raise DataError(f"{name} row {before + 1}: {exc}") from None
    if not rows:
        raise DataError(f"{name} is empty")
    blank = [b for b in blank if b < lines[-1]]  # blank lines at the end are not worth a word
    if blank:
        notes.append(f"skipped {len(blank)} empty line{'s' * (len(blank) > 1)} ({_plural('line', blank)})")
    return rows, lines


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip().lower() not in MISSING


def _has_header(rows: list[list[str]], text: str) -> bool:
    first = [c for c in rows[0] if c.strip().lower() not in MISSING]
    if all(_is_number(c) for c in first):
        return False
    if len(rows) == 1:
        return True  # a row of words and nothing else: a header without data
    if len(rows) > 1 and any(c.strip().lower() not in MISSING and not _is_number(c) and _is_number(below)
                             for c, below in zip(rows[0], rows[1])):
        return True  # a word above a number
    if not any(_is_number(c) for c in first):  # all words: a header unless a word recurs below it
        below = [set(column) for column in zip(*(r for r in rows[1:1000] if len(r) == len(rows[0])))]
        if below and not any(c in seen for c, seen in zip(rows[0], below)):
            return True
    try:
        return csv.Sniffer().has_header("\n".join(text.splitlines()[:SNIFF_LINES]))
    except csv.Error:
        return False


def _names(cells: list[str], notes: list[str]) -> list[str]:
    names, seen = [], set()
    for i, cell in enumerate(cells):
        base = cell.strip() or f"column {i + 1}"
        unique, k = base, 2
        while unique in seen:
            unique, k = f"{base} ({k})", k + 1
        if unique != base:
            notes.append(f"two columns are named '{base}': the one in column {i + 1} is called '{unique}'")
        seen.add(unique)
        names.append(unique)
    return names


def _column(name: str, raw: tuple[str, ...], lines: np.ndarray, file: str) -> _Column:
    cells = np.strings.strip(np.array(raw, dtype=str))
    missing = np.strings.str_len(cells) <= max(map(len, MISSING))  # lower-casing only short cells is faster
    missing[missing] = np.isin(np.strings.lower(cells[missing]), MISSING)
    present = ~missing
    numbers = np.full(len(cells), np.nan)
    bad = np.zeros(len(cells), bool)
    try:
        numbers[present] = cells[present].astype(np.float64)
    except ValueError:
        for i in np.flatnonzero(present):
            try:
                numbers[i] = float(cells[i])
            except ValueError:
                bad[i] = True
    n_bad, n_present = int(bad.sum()), int(present.sum())
    if n_bad == 0:
        infinite = np.flatnonzero(np.isinf(numbers))
        if len(infinite):
            i = infinite[0]
            raise DataError(f"{file} row {lines[i]}, column '{name}': '{cells[i]}' is not a finite number")
        return _Column(name, cells, missing, numbers)
    if n_bad <= MAX_TYPOS and n_bad <= 0.05 * n_present:
        first, *others = np.flatnonzero(bad)
        also = "".join(f"; also row {lines[i]} '{cells[i]}'" for i in others)
        raise DataError(f"{file} row {lines[first]}, column '{name}': '{cells[first]}' is not a number "
                        f"(the column is otherwise numeric){also}")
    return _Column(name, cells, missing, None)


def _target_index(target, names: list[str], file: str) -> int:
    if target is None:
        return len(names) - 1
    if isinstance(target, str):
        if target not in names:
            raise DataError(f"{file} has no column '{target}' (its columns: {few(names, 20)})")
        return names.index(target)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) and 0 <= target < len(names):
        return int(target)
    raise DataError(f"target column {target!r} does not exist: {file} has {len(names)} columns "
                    f"(0 to {len(names) - 1}, or their names)")


def _task(col: _Column, task: str | None, file: str, notes: list[str]) -> str:
    if col.numbers is None:
        if task == "regression":
            raise DataError(f"{file} column '{col.name}' holds text, so it cannot be a regression target")
        return "classification"
    if task is None:
        values = np.unique(col.numbers[~col.missing])
        if np.all(values == np.round(values)) and len(values) <= MAX_CLASSES:
            notes.append(f"target '{col.name}' has {len(values)} whole-number values, so the task is "
                         "classification (pass task='regression' to predict it as a number)")
            return "classification"
        return "regression"
    return task


def _missing(columns: list[_Column], t: int, mode: str, lines: np.ndarray, file: str,
             notes: list[str]) -> np.ndarray:
    """Which rows to keep; in "mean" mode, missing feature cells are filled in place."""
    table = np.stack([c.missing for c in columns], axis=1)
    rows, cols = np.nonzero(table)
    keep = np.ones(len(lines), bool)
    if not len(rows):
        return keep
    if mode == "error":
        where = [f"row {lines[r]} '{columns[c].name}'" for r, c in zip(rows[:5], cols[:5])]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        raise DataError(f"{file} has {len(rows)} missing value{'s' * (len(rows) > 1)}: {', '.join(where)}{more} "
                        "(choose to drop those rows or fill them in)")
    drop = table.any(axis=1) if mode == "drop" else table[:, t]
    if drop.all():
        raise DataError(f"every row of {file} has a missing value{'' if mode == 'drop' else ' in the target'}, "
                        "so nothing would be left")
    if drop.any():
        which = "with missing values" if mode == "drop" else f"whose target '{columns[t].name}' is missing"
        dropped = lines[drop]
        notes.append(f"dropped {len(dropped)} row{'s' * (len(dropped) > 1)} {which} ({_plural('row', dropped)})")
        keep = ~drop
    if mode == "mean":
        for i, col in enumerate(columns):
            holes = col.missing & keep
            if i == t or not holes.any():
                continue
            known = keep & ~col.missing
            if not known.any():
                raise DataError(f"{file} column '{col.name}' has no values to fill its gaps with")
            if col.numbers is not None:
                fill = float(col.numbers[known].mean())
                col.numbers[holes] = fill
                how = f"the column mean {fill:g}"
            else:
                values, counts = np.unique(col.cells[known], return_counts=True)
                fill = values[counts.argmax()]
                col.cells[holes] = fill
                how = f"the most frequent value '{fill}'"
            col.missing = col.missing & ~holes
            n = int(holes.sum())
            notes.append(f"filled {n} missing value{'s' * (n > 1)} in '{col.name}' with {how} "
                         f"({_plural('row', lines[holes])})")
    return keep


def _features(columns: list[_Column], keep: np.ndarray, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    n = int(keep.sum())
    parts, names = [], []
    for col in columns:
        if col.numbers is not None:
            parts.append(col.numbers[keep, None])
            names.append(col.name)
            continue
        values, codes = np.unique(col.cells[keep], return_inverse=True)
        if len(values) > min(1000, max(50, n // 2)):
            notes.append(f"ignored column '{col.name}': {len(values)} different texts in {n} rows look like "
                         "names or ids, not categories")
            continue
        onehot = np.zeros((n, len(values)))
        onehot[np.arange(n), codes] = 1.0
        parts.append(onehot)
        names += [f"{col.name}={v}" for v in values]
        notes.append(f"text column '{col.name}' became {len(values)} one-hot columns ({few(values.tolist())})")
    x = np.concatenate(parts, axis=1).astype(np.float32) if parts else np.zeros((n, 0), np.float32)
    return x, names


def _number_name(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(float(value))


def _target(col: _Column, keep: np.ndarray, task: str) -> tuple[np.ndarray, list[str] | None]:
    if task == "regression":
        return col.numbers[keep].astype(np.float32), None
    if col.numbers is None:
        values, codes = np.unique(col.cells[keep], return_inverse=True)
        return codes.astype(np.int64), [str(v) for v in values]
    values, codes = np.unique(col.numbers[keep], return_inverse=True)
    return codes.astype(np.int64), [_number_name(v) for v in values.tolist()]
