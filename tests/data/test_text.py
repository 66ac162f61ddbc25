"""Text datasets: a .txt file or Python's own reference text, split by contiguous ranges, the vocabulary from
the training part, windows and their next-character targets, the unknown-character rule, bad files named."""
from __future__ import annotations

import pytest
import torch

from netbuilder.data.dataset import DataSpec, builtin_names, prepare
from netbuilder.data.files import load_path
from netbuilder.data.ngram import best_ngram, ngram_loss
from netbuilder.data.raw import DataError
from netbuilder.data.text import UNKNOWN, Vocabulary, is_text, part_ranges, python_docs, vocabulary_of, windows


def write(tmp_path, name, content, binary=False):
    path = tmp_path / name
    path.write_bytes(content) if binary else path.write_text(content, encoding="utf-8")
    return path


def spec(path, **options):
    return DataSpec(source=str(path), options=options, val_fraction=0.2, test_fraction=0.2)


def test_vocabulary_and_windows_of_a_small_file(tmp_path):
    # 20 characters: train 0-11 "abcabcabcabc", validation 12-15 "abca", test 16-19 "bcxa"
    path = write(tmp_path, "small.txt", "abcabcabcabcabcabcxa")
    prepared = prepare(spec(path, seq_len=3, stride=2))
    vocabulary = vocabulary_of(prepared.raw)
    assert vocabulary.chars == ("a", "b", "c", UNKNOWN)  # from the training part only; the unknown mark last
    x, y = prepared.train
    assert x.dtype == torch.long and x.shape == (5, 3)  # windows start at 0, 2, 4, 6, 8 (8 + 3 + 1 <= 12)
    assert [vocabulary.decode(w) for w in x] == ["abc", "cab", "bca", "abc", "cab"]
    assert [vocabulary.decode(w) for w in y] == ["bca", "abc", "cab", "bca", "abc"]  # one character later
    assert [vocabulary.decode(w) for w in prepared.test[0]] == ["bc" + UNKNOWN]  # x is not in the vocabulary
    assert prepared.sample_shape == (3,) and prepared.outputs == 4 and prepared.raw.kind == "text"
    assert any("1 characters of the test part" in note and "replaced" in note for note in prepared.raw.notes)


def test_unknown_characters_can_be_dropped_instead(tmp_path):
    path = write(tmp_path, "small.txt", "abcabcabcabcabcabcxa")
    prepared = prepare(spec(path, seq_len=2, unknown="drop"))
    vocabulary = vocabulary_of(prepared.raw)
    assert vocabulary.chars == ("a", "b", "c") and not vocabulary.replaces
    assert vocabulary.encode("axb").tolist() == [0, 1]
    assert "left out" in " ".join(prepared.raw.notes)


def test_parts_are_contiguous_ranges_in_order():
    assert part_ranges(100, 0.1, 0.2) == [(0, 70), (70, 80), (80, 100)]
    x, y = windows(torch.arange(10), 4, 3)
    assert x.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6]] and y.tolist() == [[1, 2, 3, 4], [4, 5, 6, 7]]


def test_python_docs_needs_no_download():
    text = python_docs()
    assert 400_000 < len(text) < 600_000 and 90 <= len(set(text)) <= 120
    assert "python_docs" in builtin_names()
    prepared = prepare(DataSpec(source="python_docs", options={"seq_len": 32}, val_fraction=0.1,
                                test_fraction=0.1))
    train, val, test = prepared.train[0], prepared.val[0], prepared.test[0]
    assert train.shape[1] == 32 and len(train) > 8 * len(val) > 0 and len(test) > 0
    vocabulary = vocabulary_of(prepared.raw)
    assert vocabulary.decode(prepared.train[0][0]) == text[:32]  # the training part is the text's start


def test_a_txt_file_of_rows_is_still_a_table(tmp_path):
    rows = write(tmp_path, "rows.txt", "a,b,label\n1,2,0\n3,4,1\n5,6,0\n")
    prose = write(tmp_path, "prose.txt", "Call me Ishmael. Some years ago, never mind how long\nprecisely, having"
                  " little or no money in my purse,\nand nothing particular to interest me on shore.\n" * 10)
    assert not is_text(str(rows)) and is_text(str(prose))
    assert load_path(rows).kind == "table" and load_path(prose).kind == "text"
    assert DataSpec(source=str(prose), options={"sequence": 5}).problems() == [
        "prose.txt: unknown option sequence; it takes seq_len, stride, unknown, max_vocab"]


@pytest.mark.parametrize("content, binary, said", [
    ("", False, "small.txt is empty: open a text file"),
    ("   \n\n", False, "small.txt is empty (only white space)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True, "small.txt is a binary file, not text"),
    ("caf\u00e9 au lait ".encode("latin-1") * 20, True, "small.txt is not UTF-8 text (byte 3 on line 1 is 0xe9):"
                                                       " save it as UTF-8"),
])
def test_bad_text_files_are_named_with_what_to_do(tmp_path, content, binary, said):
    path = write(tmp_path, "small.txt", content, binary)
    with pytest.raises(DataError) as e:
        prepare(spec(path))
    assert said in str(e.value)


def test_a_sequence_longer_than_the_text_is_named(tmp_path):
    path = write(tmp_path, "small.txt", "a short text, but not empty at all")
    with pytest.raises(DataError) as e:
        prepare(spec(path, seq_len=64))
    assert str(e.value).startswith("the training part of small.txt has 20 characters, fewer than seq_len + 1 = 65")
    assert "choose a shorter seq_len" in str(e.value)


def test_a_vocabulary_over_the_limit_is_named(tmp_path):
    path = write(tmp_path, "small.txt", "".join(chr(0x4e00 + i) for i in range(300)) * 2)
    with pytest.raises(DataError) as e:
        prepare(spec(path, seq_len=4, max_vocab=100))
    assert "the training part of small.txt has 301 distinct characters, over the vocabulary limit of 100:" \
           " raise the max_vocab option" in str(e.value)


@pytest.mark.parametrize("options, said", [({"seq_len": 0}, "seq_len must be a whole number of at least 1"),
                                           ({"unknown": "keep"}, "unknown must be one of replace, drop")])
def test_bad_text_options_are_named(tmp_path, options, said):
    path = write(tmp_path, "small.txt", "abcabcabcabcabcabcxa")
    with pytest.raises(DataError, match=said):
        prepare(spec(path, **options))


def test_ngram_baseline_is_counted(tmp_path):
    train = Vocabulary(("a", "b")).encode("ab" * 50)
    other = Vocabulary(("a", "b")).encode("abab")
    # the bigram model has seen b after a 50 times and a after b 49 times: P = (50 + k) / (50 + 2k)
    k = 0.5
    expected = -torch.log(torch.tensor([50.5 / 51, 49.5 / 50.0, 50.5 / 51], dtype=torch.float64)).mean().item()
    assert ngram_loss(train, other, 2, 2, k) == pytest.approx(expected)
    unigram = -torch.log(torch.tensor(50.5 / 101, dtype=torch.float64)).item()
    assert ngram_loss(train, other, 1, 2, k) == pytest.approx(unigram)
    loss, n, _ = best_ngram(train, other, 2, orders=(1, 2, 3))
    assert n > 1 and loss < 0.05  # the alternation is learnt from context, not from frequencies


def test_a_new_input_on_a_text_document_takes_its_characters():
    from netbuilder.data.sample import new_layer_params

    meta = {"data": DataSpec(source="python_docs", options={"seq_len": 32}, val_fraction=0.1,
                             test_fraction=0.1).to_dict()}
    assert new_layer_params(meta, "Input") == {"shape": [32], "dtype": "int", "vocab_size": 104}
    assert new_layer_params({"data": DataSpec(source="moons").to_dict()}, "Input") == {"shape": [2]}
