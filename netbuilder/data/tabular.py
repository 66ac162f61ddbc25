"""A CSV file as RawData: delimiter and header sniffed, text columns one-hot encoded, missing values
refused, dropped or filled as asked, and every problem named by file, row (the line number the user
sees, header included), column and value.

The file is read twice, a chunk of rows at a time (csv_source.py), and never held whole: the first pass
finds what each column is (numbers or text), what is missing and what is wrong; the second writes the
numbers straight into the float32 features and the text as category codes. Peak memory stays within a
small multiple of the resulting tensors."""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .csv_source import MISSING, CsvSource, has_header
from .raw import TASKS, DataError, RawData

MISSING_MODES = ("error", "drop", "mean")
MAX_CLASSES = 20  # a numeric target with at most this many whole-number values is a class label
MAX_TYPOS = 3  # at most this many text cells (and at most 5%) in a numeric column are mistakes


def few(items, limit: int = 5) -> str:
    """'4, 9, 12' or '4, 9, 12, 15, 20 and 3 more'."""
    items = list(items)
    shown = ", ".join(str(i) for i in items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _plural(word: str, numbers) -> str:
    """'row 4' or 'rows 4, 9 and 2 more'."""
    return f"{word}{'s' * (len(numbers) > 1)} {few(numbers)}"


@dataclass
class _Column:
    """What the first pass learned of a column, and what the second one fills in."""
    name: str
    present: int = 0
    bad: list = field(default_factory=list)  # (row, line, cell) of text in it, the first MAX_TYPOS + 1
    n_bad: int = 0
    infinite: tuple | None = None  # (line, cell) of the first infinite number
    missing: array = field(default_factory=lambda: array("q"))  # row indices of missing cells
    numeric: bool = True
    numbers: np.ndarray | None = None  # float64 (the target) or a float32 column of the features
    codes: np.ndarray | None = None  # int64 category codes of a text column (-1: missing)
    categories: dict = field(default_factory=dict)  # text -> code, in order of first appearance


def load_csv(path, target: str | int | None = None, task: str | None = None, header: bool | None = None,
             missing: str = "error", labels: bool = True) -> RawData:
    """One sample per row: `target` (a column name or 0-based index, default the last column) is what
    to predict, every other column a feature. missing is "error", "drop" (the rows) or "mean" (fill in).
    labels=False: the file has no target, every column is a feature (for an autoencoder, anomaly scores)."""
    path = Path(path)
    name = path.name
    if task is not None and task not in TASKS:
        raise DataError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    if missing not in MISSING_MODES:
        raise DataError(f"missing must be one of {', '.join(MISSING_MODES)}, not {missing!r}")
    source = CsvSource(path)
    notes = source.notes
    first = source.first_rows(1000)
    if not first:
        raise DataError(f"{name} is empty")
    if header is None:
        header = has_header(first, source.sample_text)
    width = len(first[0])
    names = _names(first[0], notes) if header else [f"column {i + 1}" for i in range(width)]
    if header and len(first) == 1:
        raise DataError(f"{name} has a header but no data rows")
    if width < 2 and labels:
        raise DataError(f"{name} has a single column ('{names[0]}'), so nothing to learn from besides the target: "
                        "netbuilder looks for cells separated by commas, semicolons or tabs")
    columns = [_Column(n) for n in names]
    lines = _survey(source, columns, header, width, name)
    blank = [b for b in source.blank if b < lines[-1]]  # blank lines at the end are not worth a word
    if blank:
        notes.append(f"skipped {len(blank)} empty line{'s' * (len(blank) > 1)} ({_plural('line', blank)})")
    if not isinstance(labels, bool):
        raise DataError(f"labels must be true or false, not {labels!r}")
    t = _target_index(target, names, name) if labels else -1  # -1: no column is the target
    junk: list[str] = []
    for i, col in enumerate(columns):
        junk += _decide(col, name, missing)
        if i != t and col.present == 0:
            raise DataError(f"{name} column '{col.name}' is empty in every row: remove the column")
    if junk:
        notes.append(f"{len(junk)} cell{'s' * (len(junk) > 1)} that {'are' if len(junk) > 1 else 'is'} not a"
                     f" number counted as missing ({few(junk)})")
    features = [c for i, c in enumerate(columns) if i != t and c.numeric]
    matrix = _fill(source, columns, header, t, features, len(lines))
    task = _task(columns[t], task, name, notes) if labels else "regression"
    keep = _missing(columns, t, missing, lines, name, notes)
    x, feature_names = _features(columns, t, keep, matrix, notes)
    if not feature_names:
        raise DataError(f"{name} has no usable feature columns" + (f" besides the target '{names[t]}'" if labels else ""))
    if not labels:
        notes.append("no target column: every column is an input (for an autoencoder or anomaly scores)")
        return RawData(torch.from_numpy(x), torch.zeros(len(x)), "table", "regression", None, feature_names, notes)
    y, class_names = _target(columns[t], keep, task)
    return RawData(torch.from_numpy(x), torch.from_numpy(y), "table", task, class_names, feature_names, notes)


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


def _data_chunks(source: CsvSource, header: bool):
    """Chunks of (line, cells) of the data rows (the header left out)."""
    skipped = not header
    for chunk in source.rows():
        if not skipped:
            chunk, skipped = chunk[1:], True
        if chunk:
            yield chunk


def _cells(chunk, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Column i of a chunk: stripped text, and which cells are missing."""
    cells = np.strings.strip(np.array([row[i] for _, row in chunk], dtype=str))
    missing = np.strings.str_len(cells) <= max(map(len, MISSING))  # lower-casing only short cells is faster
    missing[missing] = np.isin(np.strings.lower(cells[missing]), MISSING)
    return cells, missing


def _numbers(chunk, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Column i of a chunk as (numbers, missing, not-a-number, stripped text or None). The common case, every
    cell a number, takes Python's float() on each (several times faster than numpy's string conversion);
    'nan' is one of the spellings of missing, so a NaN it gives is missing."""
    try:
        numbers = np.fromiter((float(row[i]) for _, row in chunk), np.float64, len(chunk))
        return numbers, np.isnan(numbers), np.zeros(len(chunk), bool), None
    except ValueError:  # a word, or another spelling of missing: cell by cell
        cells, missing = _cells(chunk, i)
        numbers, bad = _parse(cells, ~missing)
        return numbers, missing, bad, cells


def _parse(cells: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 numbers (NaN where missing or not a number) and which present cells are not numbers."""
    numbers = np.full(len(cells), np.nan)
    bad = np.zeros(len(cells), bool)
    try:
        numbers[present] = cells[present].astype(np.float64)
    except ValueError:
        for j in np.flatnonzero(present):
            try:
                numbers[j] = float(cells[j])
            except ValueError:
                bad[j] = True
    return numbers, bad


def _survey(source: CsvSource, columns: list[_Column], header: bool, width: int, name: str) -> np.ndarray:
    """The first pass: each data row's line; per column what is missing, what is not a number."""
    lines, ragged, offset = array("q"), [], 0
    for chunk in _data_chunks(source, header):
        ragged += [(line, len(row)) for line, row in chunk if len(row) != width]
        if ragged:
            continue
        lines.extend(line for line, _ in chunk)
        chunk_lines = np.array([line for line, _ in chunk])
        for i, col in enumerate(columns):
            if col.n_bad > MAX_TYPOS:  # more than a few words: text; only what is missing is left to learn
                missing = _cells(chunk, i)[1]
            else:
                numbers, missing, bad, cells = _numbers(chunk, i)
                for j in np.flatnonzero(bad)[:MAX_TYPOS + 1 - len(col.bad)]:
                    col.bad.append((offset + int(j), int(chunk_lines[j]), str(cells[j])))
                col.n_bad += int(bad.sum())
                infinite = np.flatnonzero(np.isinf(numbers))
                if col.infinite is None and len(infinite):
                    j = infinite[0]
                    col.infinite = (int(chunk_lines[j]), str(cells[j]) if cells is not None else chunk[j][1][i].strip())
            col.missing.extend((np.flatnonzero(missing) + offset).tolist())
            col.present += int((~missing).sum())
        offset += len(chunk)
    if ragged:
        (line, count), others = ragged[0], [r[0] for r in ragged[1:]]
        also = f" (and {_plural('row', others)})" if others else ""
        raise DataError(f"{name} row {line} has {count} cells, the {'header' if header else 'first row'} has"
                        f" {width}{also}")
    if not lines:
        raise DataError(f"{name} has a header but no data rows")
    return np.frombuffer(lines, dtype=np.int64)


def _decide(col: _Column, file: str, missing: str) -> list[str]:
    """Numbers, a numeric column with a few mistakes, or text. The mistakes are an error, or when missing
    values are dropped or filled in, missing values themselves: returned as "row 7 'abc' in 'age'"."""
    if col.n_bad == 0:
        if col.infinite is not None:
            line, cell = col.infinite
            raise DataError(f"{file} row {line}, column '{col.name}': '{cell}' is not a finite number")
        return []
    if col.n_bad <= MAX_TYPOS and col.n_bad <= 0.05 * col.present:
        if missing != "error":
            col.missing = array("q", sorted([*col.missing, *(row for row, _, _ in col.bad)]))
            col.present -= col.n_bad
            return [f"row {line} '{cell}' in '{col.name}'" for _, line, cell in col.bad]
        (_, line, cell), *others = col.bad
        also = "".join(f"; also row {o_line} '{o_cell}'" for _, o_line, o_cell in others)
        raise DataError(f"{file} row {line}, column '{col.name}': '{cell}' is not a number "
                        f"(the column is otherwise numeric){also}. Correct the file, or choose to drop such rows"
                        " or fill them in (missing: drop or mean)")
    col.numeric = False
    return []


def _fill(source: CsvSource, columns: list[_Column], header: bool, t: int, features: list[_Column],
          n: int) -> np.ndarray:
    """The second pass: numeric features straight into one float32 matrix (a column of it each), the
    target's numbers in float64, and text as category codes."""
    matrix = np.empty((n, len(features)), np.float32)
    for j, col in enumerate(features):
        col.numbers = matrix[:, j]
    if t >= 0 and columns[t].numeric:
        columns[t].numbers = np.empty(n)
    for col in columns:
        if not col.numeric:
            col.codes = np.empty(n, np.int64)
    offset = 0
    for chunk in _data_chunks(source, header):
        rows = slice(offset, offset + len(chunk))
        for i, col in enumerate(columns):
            if col.numeric:
                col.numbers[rows] = _numbers(chunk, i)[0]
            else:
                cells, missing = _cells(chunk, i)
                codes = [col.categories.setdefault(c, len(col.categories)) for c in cells.tolist()]
                col.codes[rows] = codes
                col.codes[rows][missing] = -1
        offset += len(chunk)
    for col in columns:  # codes in the sorted order of their texts, -1 where missing
        if not col.numeric:
            texts = sorted(t for t in col.categories if t.lower() not in MISSING)
            order = {text: k for k, text in enumerate(texts)}
            remap = np.array([order.get(text, -1) for text in col.categories], np.int64)
            col.codes = np.where(col.codes >= 0, remap[np.maximum(col.codes, 0)], -1)
            col.categories = texts
    return matrix


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


def _present(col: _Column, n: int) -> np.ndarray:
    mask = np.ones(n, bool)
    mask[np.frombuffer(col.missing, dtype=np.int64)] = False
    return mask


def _task(col: _Column, task: str | None, file: str, notes: list[str]) -> str:
    if not col.numeric:
        if task == "regression":
            raise DataError(f"{file} column '{col.name}' holds text, so it cannot be a regression target")
        return "classification"
    if task is None:
        values = np.unique(col.numbers[_present(col, len(col.numbers))])
        if np.all(values == np.round(values)) and len(values) <= MAX_CLASSES:
            notes.append(f"target '{col.name}' has {len(values)} whole-number values, so the task is "
                         "classification (pass task='regression' to predict it as a number)")
            return "classification"
        return "regression"
    return task


def _missing(columns: list[_Column], t: int, mode: str, lines: np.ndarray, file: str,
             notes: list[str]) -> np.ndarray:
    """Which rows to keep; in "mean" mode, missing feature cells are filled in place."""
    n = len(lines)
    keep = np.ones(n, bool)
    total = sum(len(c.missing) for c in columns)
    if not total:
        return keep
    if mode == "error":
        first = sorted((r, c) for c, col in enumerate(columns) for r in col.missing[:5])[:5]
        where = [f"row {lines[r]} '{columns[c].name}'" for r, c in first]
        more = f" and {total - 5} more" if total > 5 else ""
        raise DataError(f"{file} has {total} missing value{'s' * (total > 1)}: {', '.join(where)}{more} "
                        "(choose to drop those rows or fill them in)")
    drop = np.zeros(n, bool)
    for c, col in enumerate(columns):
        if mode == "drop" or c == t:
            drop[np.frombuffer(col.missing, dtype=np.int64)] = True
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
            holes = ~_present(col, n) & keep
            if i == t or not holes.any():
                continue
            known = keep & _present(col, n)
            if not known.any():
                raise DataError(f"{file} column '{col.name}' has no values to fill its gaps with")
            if col.numeric:
                fill = float(col.numbers[known].mean(dtype=np.float64))
                col.numbers[holes] = fill
                how = f"the column mean {fill:g}"
            else:
                counts = np.bincount(col.codes[known], minlength=len(col.categories))
                code = int(counts.argmax())
                col.codes[holes] = code
                how = f"the most frequent value '{col.categories[code]}'"
            col.missing = array("q", np.flatnonzero(~_present(col, n) & ~holes).tolist())
            count = int(holes.sum())
            notes.append(f"filled {count} missing value{'s' * (count > 1)} in '{col.name}' with {how} "
                         f"({_plural('row', lines[holes])})")
    return keep


def _features(columns: list[_Column], t: int, keep: np.ndarray, matrix: np.ndarray,
              notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """The float32 features of the kept rows: numeric columns as they are (`matrix`, filled by the second
    pass), text columns one-hot over the texts of the kept rows."""
    n = int(keep.sum())
    parts, names = [], []
    for i, col in enumerate(columns):
        if i == t:
            continue
        if col.numeric:
            names.append(col.name)
            continue
        used, codes = np.unique(col.codes[keep], return_inverse=True)
        values = [col.categories[k] for k in used]
        if len(values) > min(1000, max(50, n // 2)):
            notes.append(f"ignored column '{col.name}': {len(values)} different texts in {n} rows look"
                         " like names or ids, not categories")
            continue
        onehot = np.zeros((n, len(values)), np.float32)
        onehot[np.arange(n), codes] = 1.0
        parts.append((i, onehot, [f"{col.name}={v}" for v in values]))
        notes.append(f"text column '{col.name}' became {len(values)} one-hot columns ({few(values)})")
    if not parts:  # numbers only: the matrix the second pass filled is the features, in column order
        return (matrix if keep.all() else matrix[keep]), names
    blocks, names = [], []
    for i, col in enumerate(columns):
        if i == t:
            continue
        if col.numeric:
            blocks.append(col.numbers[keep, None])
            names.append(col.name)
        else:
            part = next((p for p in parts if p[0] == i), None)
            if part is not None:
                blocks.append(part[1])
                names += part[2]
    return np.concatenate(blocks, axis=1).astype(np.float32, copy=False), names


def _number_name(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(float(value))


def _target(col: _Column, keep: np.ndarray, task: str) -> tuple[np.ndarray, list[str] | None]:
    if task == "regression":
        return col.numbers[keep].astype(np.float32), None
    if not col.numeric:
        used = np.unique(col.codes[keep])  # categories of the kept rows only, in sorted order
        return np.searchsorted(used, col.codes[keep]).astype(np.int64), [col.categories[k] for k in used]
    values, codes = np.unique(col.numbers[keep], return_inverse=True)
    return codes.astype(np.int64), [_number_name(v) for v in values.tolist()]
