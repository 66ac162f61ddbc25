"""Text as a dataset of characters: a .txt file the user opens, or the English reference text shipped
inside Python (`python_docs`: pydoc_data.topics, about 465,000 characters). The text is split by
contiguous ranges (train first, then validation, then test: no window of one part overlaps another),
the vocabulary is the training part's distinct characters, and each part is cut into windows of
`seq_len` characters every `stride`, each with its target: the same window one character later.

A character of the validation or test part (or of a prompt) that the training part lacks follows the
`unknown` rule: "replace" (it becomes the vocabulary's UNKNOWN mark) or "drop" (it is left out)."""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

import torch

from .raw import DataError, RawData

BUILTIN_TEXTS = ("python_docs",)
UNKNOWN = "\ufffd"  # the replacement character: what an unknown character becomes under "replace"
UNKNOWN_RULES = ("replace", "drop")
SEQ_LEN, MAX_VOCAB = 64, 256
SNIFF_BYTES = 8192
TEXT_OPTIONS = ("seq_len", "stride", "unknown", "max_vocab")


def python_docs() -> str:
    """Python's own reference text (the topics `help()` shows), the same for every Python 3.11."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        raise DataError("python_docs is the reference text shipped with Python (pydoc_data), but this Python"
                        " lacks it (some system packages leave it out): open a .txt file instead") from None
    return "\n".join(topics[key] for key in sorted(topics))


def read_text(path: Path) -> str:
    """A text file's characters (UTF-8, a byte-order mark dropped, Windows line ends made plain).
    DataError naming the file and what to do: it is empty, binary, or not UTF-8."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{name} cannot be read ({e.strerror or e}): check that it exists and is yours to read")
    if not data.strip():
        raise DataError(f"{name} is empty{' (only white space)' if data else ''}: open a text file with something"
                        " to learn from")
    if b"\x00" in data[:SNIFF_BYTES * 8]:
        raise DataError(f"{name} is a binary file, not text (it holds zero bytes): open a plain .txt file"
                        " (save a document as plain text first)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise DataError(f"{name} is not UTF-8 text (byte {e.start:,} on line {line} is 0x{data[e.start]:02x}):"
                        " save it as UTF-8 in your editor (File > Save As, encoding UTF-8)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_like_table(path: Path) -> bool:
    """Whether a .txt file holds rows of cells (read as CSV) rather than prose: its first lines all have the
    same number (at least one) of commas, semicolons or tabs."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
        lines = [line for line in head.decode("utf-8-sig").splitlines() if line.strip()][:10]
    except (OSError, UnicodeDecodeError):
        return False  # read as text, which says what is wrong with it
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last may be cut short
    if len(lines) < 2:
        return False
    return any(len({line.count(d) for line in lines}) == 1 and lines[0].count(d) > 0 for d in (",", ";", "\t"))


@dataclass(frozen=True)
class Vocabulary:
    """The characters a network knows, each an index (sorted; UNKNOWN last when the rule is "replace")."""
    chars: tuple[str, ...]

    @classmethod
    def of(cls, text: str, unknown: str = "replace", limit: int = MAX_VOCAB, where: str = "the text") -> "Vocabulary":
        chars = sorted(set(text) - {UNKNOWN})
        if unknown == "replace":
            chars.append(UNKNOWN)
        if len(chars) > limit:
            raise DataError(f"{where} has {len(chars):,} distinct characters, over the vocabulary limit of {limit}:"
                            " raise the max_vocab option (the network's last layer grows with it), or use a text"
                            " with fewer symbols")
        return cls(tuple(chars))

    @property
    def replaces(self) -> bool:
        return UNKNOWN in self.chars

    def __len__(self) -> int:
        return len(self.chars)

    def unknown_in(self, text: str) -> list[str]:
        """The distinct characters of `text` outside the vocabulary, in order of appearance."""
        known = set(self.chars)
        return list(dict.fromkeys(c for c in text if c not in known))

    def encode(self, text: str) -> torch.Tensor:
        """Indices [len]: an unknown character becomes UNKNOWN, or is dropped when the vocabulary has none."""
        index = {c: i for i, c in enumerate(self.chars)}
        fallback = index.get(UNKNOWN)
        ids = [index.get(c, fallback) for c in text]
        return torch.tensor([i for i in ids if i is not None], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def _whole(name: str, value, low: int, where: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise DataError(f"{where}: {name} must be a whole number of at least {low}, not {value!r}")
    return int(value)


def part_ranges(length: int, val_fraction: float, test_fraction: float) -> list[tuple[int, int]]:
    """(start, end) of train, validation and test: contiguous, in that order."""
    test = int(round(length * test_fraction))
    val = int(round(length * val_fraction))
    train = length - val - test
    return [(0, train), (train, train + val), (train + val, length)]


def windows(ids: torch.Tensor, seq_len: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs [N, seq_len] starting every `stride` characters, and their targets: each input one later."""
    count = (len(ids) - seq_len - 1) // stride + 1 if len(ids) > seq_len else 0
    starts = torch.arange(count) * stride
    offsets = starts[:, None] + torch.arange(seq_len)[None, :]
    return ids[offsets], ids[offsets + 1]


@dataclass
class TextParts:
    vocabulary: Vocabulary
    parts: list[torch.Tensor]  # train, validation, test as indices
    notes: list[str]


def encode_parts(text: str, where: str, val_fraction: float, test_fraction: float, unknown: str = "replace",
                 max_vocab: int = MAX_VOCAB) -> TextParts:
    if unknown not in UNKNOWN_RULES:
        raise DataError(f"{where}: unknown must be one of {', '.join(UNKNOWN_RULES)}, not {unknown!r}")
    max_vocab = _whole("max_vocab", max_vocab, 2, where)
    ranges = part_ranges(len(text), val_fraction, test_fraction)
    train = text[ranges[0][0]:ranges[0][1]]
    vocabulary = Vocabulary.of(train, unknown, max_vocab, f"the training part of {where}")
    notes = []
    for label, (start, end) in zip(("validation", "test"), ranges[1:]):
        strange = vocabulary.unknown_in(text[start:end])
        if strange:
            count = sum(text[start:end].count(c) for c in strange)
            done = "replaced by \N{REPLACEMENT CHARACTER}" if vocabulary.replaces else "left out"
            notes.append(f"{count:,} characters of the {label} part ({len(strange)} distinct: "
                         f"{''.join(strange[:10])!r}) are not in the training part: {done}")
    parts = [vocabulary.encode(text[start:end]) for start, end in ranges]
    return TextParts(vocabulary, parts, notes)


def text_data(text: str, where: str, val_fraction: float, test_fraction: float, seq_len: int = SEQ_LEN,
              stride: int | None = None, unknown: str = "replace", max_vocab: int = MAX_VOCAB) -> tuple[RawData, list]:
    """RawData of every window (train, then validation, then test; class_names: the vocabulary) and the
    (start, end) window indices of each part."""
    seq_len = _whole("seq_len", seq_len, 1, where)
    stride = seq_len if stride in (None, 0) else _whole("stride", stride, 1, where)
    encoded = encode_parts(text, where, val_fraction, test_fraction, unknown, max_vocab)
    xs, ys, bounds = [], [], []
    for label, ids in zip(("training", "validation", "test"), encoded.parts):
        if len(ids) <= seq_len and (label == "training" or len(ids)):
            raise DataError(f"the {label} part of {where} has {len(ids):,} characters, fewer than seq_len + 1 ="
                            f" {seq_len + 1:,} (a window and the character after it): choose a shorter seq_len"
                            + (" or a larger fraction for it" if label != "training" else " or a longer text"))
        x, y = windows(ids, seq_len, stride)
        bounds.append((sum(len(v) for v in xs), sum(len(v) for v in xs) + len(x)))
        xs.append(x)
        ys.append(y)
    notes = [f"{len(text):,} characters, {len(encoded.vocabulary)} in the vocabulary; windows of {seq_len}"
             f" every {stride}", *encoded.notes]
    raw = RawData(torch.cat(xs), torch.cat(ys), "text", "classification", list(encoded.vocabulary.chars),
                  notes=notes)
    return raw, bounds


def load_text(path, seq_len: int = SEQ_LEN, stride: int | None = None, unknown: str = "replace",
              max_vocab: int = MAX_VOCAB) -> RawData:
    """A .txt file of prose as RawData (split with the default fractions; a document's dataset is split with
    its own, in dataset.prepare)."""
    path = Path(path)
    return text_data(read_text(path), path.name, 0.15, 0.15, seq_len, stride, unknown, max_vocab)[0]


def text_of(source: str) -> tuple[str, str]:
    """(the text, how to name it) of a built-in text or a file."""
    if source == "python_docs":
        return python_docs(), "python_docs"
    path = Path(source).expanduser()
    return read_text(path), path.name


def is_text(source: str) -> bool:
    """Whether a dataset source is text: a built-in text, or a .txt file of prose (not of CSV rows)."""
    if source in BUILTIN_TEXTS:
        return True
    path = Path(source).expanduser() if isinstance(source, str) else None
    return bool(path) and path.suffix.lower() == ".txt" and path.is_file() and not looks_like_table(path)


def vocabulary_of(raw: RawData) -> Vocabulary:
    return Vocabulary(tuple(raw.class_names or ()))

