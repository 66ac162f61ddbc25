"""Reading a CSV file as a stream of rows: its encoding (UTF-8, UTF-16 with a BOM, or Latin-1), its delimiter
and whether it has a header are found from its start; rows come in chunks, each with the line it starts on,
so a file of any size is never held whole in memory. Problems are DataError naming the file and line."""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from .raw import DataError

MISSING = ("", "na", "n/a", "nan", "?", "null")  # compared lower-case, after stripping spaces
DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 50
SAMPLE_BYTES = 1 << 16
CHUNK_ROWS = 10_000  # rows turned into columns at a time


class CsvSource:
    """The rows of a CSV file, read as often as needed (the loader reads it twice)."""

    def __init__(self, path: Path):
        self.path, self.name = path, path.name
        self.notes: list[str] = []
        try:
            with open(path, "rb") as f:
                start = f.read(SAMPLE_BYTES)
                empty = not start.strip() and not f.read().strip()
        except OSError as exc:
            raise DataError(f"could not read {self.name}: {exc.strerror or exc}") from None
        if empty:
            raise DataError(f"{self.name} is empty")
        self.encoding = self._encoding(start)
        sample = "\n".join(self._text(start).splitlines()[:SNIFF_LINES])
        self.delimiter = _delimiter(sample)
        self.sample_text = sample
        self.blank: list[int] = []

    def _encoding(self, start: bytes) -> str:
        if start.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                start.decode("utf-16")
                self.notes.append("read as UTF-16 text")
                return "utf-16"
            except UnicodeDecodeError:
                pass
        if b"\x00" in start:
            raise self.binary()
        try:
            with open(self.path, encoding="utf-8-sig") as f:  # the whole file, in pieces: is it all UTF-8?
                while f.read(1 << 20):
                    pass
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
        text = start.decode("latin-1")
        controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\r\n\f") or 127 <= ord(ch) < 160)
        if controls > 0.05 * len(text):
            raise self.binary()
        self.notes.append(f"read {self.name} as Latin-1 text because it is not UTF-8")
        return "latin-1"

    def _text(self, start: bytes) -> str:
        return codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(start)

    def binary(self) -> DataError:
        return DataError(f"{self.name} is not a text file (it contains binary bytes): netbuilder reads CSV as text")

    def rows(self):
        """(line number, cells) of every row with any cell, in chunks of CHUNK_ROWS."""
        chunk: list[tuple[int, list[str]]] = []
        self.blank = []
        with open(self.path, encoding=self.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            before = 0
            try:
                for row in reader:
                    if any(row):
                        chunk.append((before + 1, row))
                        if len(chunk) == CHUNK_ROWS:
                            yield chunk
                            chunk = []
                    else:
                        self.blank.append(before + 1)
                    before = reader.line_num
            except csv.Error as exc:
                if "NUL" in str(exc):
                    raise self.binary() from None
                raise DataError(f"{self.name} row {before + 1}: {exc}") from None
        if chunk:
            yield chunk

    def first_rows(self, n: int) -> list[list[str]]:
        found: list[list[str]] = []
        for chunk in self.rows():
            found += [row for _, row in chunk[:n - len(found)]]
            if len(found) >= n:
                break
        return found


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


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip().lower() not in MISSING


def has_header(rows: list[list[str]], sample_text: str) -> bool:
    """Whether the first row names the columns (words over numbers, or words that do not recur below)."""
    first = [c for c in rows[0] if c.strip().lower() not in MISSING]
    if all(is_number(c) for c in first):
        return False
    if len(rows) == 1:
        return True  # a row of words and nothing else: a header without data
    if any(c.strip().lower() not in MISSING and not is_number(c) and is_number(below)
           for c, below in zip(rows[0], rows[1])):
        return True  # a word above a number
    if not any(is_number(c) for c in first):  # all words: a header unless a word recurs below it
        below = [set(column) for column in zip(*(r for r in rows[1:1000] if len(r) == len(rows[0])))]
        if below and not any(c in seen for c, seen in zip(rows[0], below)):
            return True
    try:
        return csv.Sniffer().has_header(sample_text)
    except csv.Error:
        return False
