"""The user's own files: CSV, NumPy arrays and image folders, including every malformed case the
loaders promise to name by file, row, column or path (and never to drop silently)."""

import numpy as np
import pytest
import torch
from PIL import Image

from netbuilder.data.files import load_csv, load_image_folder, load_numpy, load_path
from netbuilder.data.raw import DataError


def write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding, newline="")
    return path


# --- CSV -------------------------------------------------------------------------------------------

ANIMALS = "age,colour,height,species\n31,red,1.80,cat\n40,blue,1.60,dog\n22,red,1.70,cat\n35,green,1.75,bird\n"


def test_csv_one_hot_encodes_text_columns_and_maps_text_classes_in_sorted_order(tmp_path):
    data = load_csv(write(tmp_path, "data.csv", ANIMALS))
    assert data.kind == "table" and data.task == "classification"
    assert data.x.dtype == torch.float32 and data.y.dtype == torch.int64
    assert data.feature_names == ["age", "colour=blue", "colour=green", "colour=red", "height"]
    assert data.class_names == ["bird", "cat", "dog"]
    assert data.y.tolist() == [1, 2, 1, 0]
    expected = [[31, 0, 0, 1, 1.80], [40, 1, 0, 0, 1.60], [22, 0, 0, 1, 1.70], [35, 0, 1, 0, 1.75]]
    assert torch.allclose(data.x, torch.tensor(expected))
    assert data.notes == ["text column 'colour' became 3 one-hot columns (blue, green, red)"]


def test_csv_few_whole_numbers_are_classes_sorted_numerically(tmp_path):
    data = load_csv(write(tmp_path, "d.csv", "a,b,grade\n1,2,10\n3,4,2\n5,6,2\n7,8,10\n9,1,3\n"))
    assert data.task == "classification"
    assert data.class_names == ["2", "3", "10"]  # not "10" first, as text would sort
    assert data.y.tolist() == [2, 0, 0, 2, 1]
    assert data.feature_names == ["a", "b"]
    assert any("target 'grade' has 3 whole-number values, so the task is classification" in n for n in data.notes)


def test_csv_fractions_or_many_values_make_regression_and_task_can_be_chosen(tmp_path):
    data = load_csv(write(tmp_path, "d.csv", "a,price\n1,0.5\n2,1.25\n3,2\n"))
    assert data.task == "regression" and data.class_names is None
    assert data.y.dtype == torch.float32 and data.y.tolist() == [0.5, 1.25, 2.0]
    many = "a,count\n" + "".join(f"{i},{i * 3}\n" for i in range(25))  # 25 distinct whole numbers
    assert load_csv(write(tmp_path, "many.csv", many)).task == "regression"
    forced = load_csv(write(tmp_path, "e.csv", "a,grade\n1,1\n2,2\n3,1\n"), task="regression")
    assert forced.task == "regression" and forced.y.tolist() == [1.0, 2.0, 1.0]
    classes = load_csv(tmp_path / "d.csv", task="classification")
    assert classes.class_names == ["0.5", "1.25", "2"] and classes.y.tolist() == [0, 1, 2]
    with pytest.raises(DataError, match=r"data.csv column 'species' holds text, so it cannot be a regression"):
        load_csv(write(tmp_path, "data.csv", ANIMALS), task="regression")


def test_csv_target_by_name_or_index_and_a_missing_target_is_named(tmp_path):
    path = write(tmp_path, "data.csv", ANIMALS)
    by_name = load_csv(path, target="colour")
    assert by_name.class_names == ["blue", "green", "red"] and by_name.y.tolist() == [2, 0, 2, 1]
    assert by_name.feature_names == ["age", "height", "species=bird", "species=cat", "species=dog"]
    by_index = load_csv(path, target=0, task="regression")
    assert by_index.y.tolist() == [31, 40, 22, 35] and by_index.feature_names[0] == "colour=blue"
    with pytest.raises(DataError, match=r"data.csv has no column 'price' \(its columns: age, colour, height, species\)"):
        load_csv(path, target="price")
    with pytest.raises(DataError, match=r"target column 7 does not exist: data.csv has 4 columns \(0 to 3"):
        load_csv(path, target=7)


def test_csv_header_is_detected_or_chosen(tmp_path):
    plain = write(tmp_path, "plain.csv", "1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    data = load_csv(plain)
    assert data.feature_names == ["column 1", "column 2"] and len(data.x) == 4
    assert data.x[0].tolist() == [1, 2] and data.y.tolist() == [0, 1, 0, 1]
    forced = load_csv(plain, header=True)  # the first row becomes names
    assert forced.feature_names == ["1", "2"] and len(forced.x) == 3
    words = write(tmp_path, "words.csv", "colour,size,label\nred,big,yes\nblue,small,no\nred,small,yes\n")
    data = load_csv(words)
    assert data.feature_names == ["colour=blue", "colour=red", "size=big", "size=small"]
    assert data.class_names == ["no", "yes"] and len(data.x) == 3
    assert len(load_csv(words, header=False).x) == 4


def test_csv_a_few_words_in_a_numeric_column_are_named_by_row_and_column(tmp_path):
    rows = [f"{20 + i},{i % 2}" for i in range(30)]
    rows[5] = "abc,1"  # data row 6 is file row 7, counting the header
    path = write(tmp_path, "data.csv", "age,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"^data.csv row 7, column 'age': 'abc' is not a number "
                                        r"\(the column is otherwise numeric\)\. Correct the file, or choose to drop"
                                        r" such rows or fill them in \(missing: drop or mean\)$"):
        load_csv(path)
    rows = [f"{i},{i % 2}" for i in range(60)]
    rows[5], rows[18], rows[28] = "abc,1", "x1,0", "1.2.3,0"
    with pytest.raises(DataError, match=r"row 7, column 'age': 'abc' .*; also row 20 'x1'; also row 30 '1.2.3'\. "):
        load_csv(write(tmp_path, "more.csv", "age,label\n" + "\n".join(rows) + "\n"))


def test_csv_cells_that_are_not_numbers_are_dropped_or_filled_as_missing_values_when_asked(tmp_path):
    rows = [f"{20 + i},{i % 3},{i % 2}" for i in range(60)]
    rows[5], rows[18], rows[40] = "abc,0,1", "x1,1,0", "30,?,1"  # two junk ages (file rows 7, 20), one missing cell
    path = write(tmp_path, "data.csv", "age,size,label\n" + "\n".join(rows) + "\n")
    data = load_csv(path, missing="drop")
    assert "2 cells that are not a number counted as missing (row 7 'abc' in 'age', row 20 'x1' in 'age')" \
        in data.notes
    assert "dropped 3 rows with missing values (rows 7, 20, 42)" in data.notes
    assert len(data.x) == 57 and data.x[:, 0].tolist() == [20 + i for i in range(60) if i not in (5, 18, 40)]
    data = load_csv(path, missing="mean")
    assert len(data.x) == 60 and not torch.isnan(data.x).any()
    mean = (sum(20 + i for i in range(60) if i not in (5, 18, 40)) + 30) / 58
    assert data.x[5, 0].item() == pytest.approx(mean) and data.x[18, 0].item() == pytest.approx(mean)
    assert f"filled 2 missing values in 'age' with the column mean {mean:g} (rows 7, 20)" in data.notes
    rows[7] = "25,1,cat"  # in the target: the row goes, in either mode
    data = load_csv(write(tmp_path, "target.csv", "age,size,label\n" + "\n".join(rows) + "\n"), missing="mean")
    assert "dropped 1 row whose target 'label' is missing (row 9)" in data.notes and len(data.x) == 59


def test_csv_a_column_with_many_words_is_categorical(tmp_path):
    codes = ["1", "2", "3", "4", "5", "6", "7", "8", "x", "y"]  # 20% text: categories, not typos
    path = write(tmp_path, "d.csv", "code,label\n" + "".join(f"{c},{i % 2}\n" for i, c in enumerate(codes)))
    data = load_csv(path)
    assert data.feature_names == [f"code={c}" for c in codes]
    assert torch.equal(data.x, torch.eye(10))


def test_csv_identifier_columns_are_ignored_with_a_note(tmp_path):
    text = "name,a,label\n" + "".join(f"n{i},{i},{i % 2}\n" for i in range(120))
    data = load_csv(write(tmp_path, "d.csv", text))
    assert data.feature_names == ["a"]
    assert "ignored column 'name': 120 different texts in 120 rows look like names or ids, not categories" in data.notes


MISSING = ("age,height,colour,label\n"
           "31,1.8,red,0\n"
           "40,1.6,blue,1\n"
           "NA,1.7,red,0\n"
           "22,1.5,?,1\n"
           "35,,green,0\n"
           "28,1.9,red,null\n"
           "50,1.65,red,1\n")


def test_csv_missing_values_are_an_error_naming_each_row_and_column(tmp_path):
    path = write(tmp_path, "data.csv", MISSING)
    with pytest.raises(DataError, match=r"^data.csv has 4 missing values: row 4 'age', row 5 'colour', "
                                        r"row 6 'height', row 7 'label' \("):
        load_csv(path)
    many = "a,b,label\n" + "".join(f"NaN,{i},{i % 2}\n" for i in range(8)) + "1,1,0\n"
    with pytest.raises(DataError, match=r"has 8 missing values: row 2 'a', .* row 6 'a' and 3 more"):
        load_csv(write(tmp_path, "many.csv", many))


def test_csv_every_missing_spelling_counts(tmp_path):
    text = "a,b,label\n,1,0\nNA,1,1\nNaN,1,0\n?,1,1\nnull,1,0\n1,1,1\n"
    with pytest.raises(DataError, match=r"has 5 missing values"):
        load_csv(write(tmp_path, "d.csv", text))


def test_csv_missing_drop_drops_rows_and_says_which(tmp_path):
    data = load_csv(write(tmp_path, "data.csv", MISSING), missing="drop")
    assert data.notes[1] == "dropped 4 rows with missing values (rows 4, 5, 6, 7)"
    assert data.feature_names == ["age", "height", "colour=blue", "colour=red"]
    assert torch.allclose(data.x, torch.tensor([[31, 1.8, 0, 1], [40, 1.6, 1, 0], [50, 1.65, 0, 1]]))
    assert data.y.tolist() == [0, 1, 1]


def test_csv_missing_mean_fills_features_and_drops_rows_without_a_target(tmp_path):
    data = load_csv(write(tmp_path, "data.csv", MISSING), missing="mean")
    assert data.notes[1:4] == [
        "dropped 1 row whose target 'label' is missing (row 7)",
        "filled 1 missing value in 'age' with the column mean 35.6 (row 4)",
        "filled 1 missing value in 'height' with the column mean 1.65 (row 6)",
    ]
    assert "filled 1 missing value in 'colour' with the most frequent value 'red' (row 5)" in data.notes
    assert len(data.x) == 6 and data.y.tolist() == [0, 1, 0, 1, 0, 1]
    assert data.feature_names == ["age", "height", "colour=blue", "colour=green", "colour=red"]
    assert data.x[2, 0].item() == pytest.approx(35.6)  # row 4's age
    assert data.x[3].tolist()[2:] == [0, 0, 1]  # row 5's colour became red
    assert data.x[4, 1].item() == pytest.approx(1.65)  # row 6's height


def test_csv_ragged_rows_are_named(tmp_path):
    rows = ["1,2,3,4,5"] * 10 + ["1,2,3,4"]  # file row 12
    with pytest.raises(DataError, match=r"^data.csv row 12 has 4 cells, the header has 5$"):
        load_csv(write(tmp_path, "data.csv", "a,b,c,d,e\n" + "\n".join(rows) + "\n"))
    with pytest.raises(DataError, match=r"^plain.csv row 3 has 2 cells, the first row has 3 \(and row 4\)$"):
        load_csv(write(tmp_path, "plain.csv", "1,2,3\n4,5,6\n7,8\n9,1\n"))


@pytest.mark.parametrize("text, message", [
    ("", r"^data.csv is empty$"),
    ("\n \n\n", r"^data.csv is empty$"),
    ("a,b,label\n", r"^data.csv has a header but no data rows$"),
    ("price\n1\n2\n3\n", r"^data.csv has a single column \('price'\)"),
    ("a,b,label\n1,,0\n2,,1\n", r"^data.csv column 'b' is empty in every row"),
    ("a,b\n1,0\ninf,1\n2,0\n", r"^data.csv row 3, column 'a': 'inf' is not a finite number$"),
])
def test_csv_files_with_nothing_to_learn_say_why(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        load_csv(write(tmp_path, "data.csv", text))


def test_csv_bad_options_and_unreadable_files_are_data_errors(tmp_path):
    path = write(tmp_path, "data.csv", ANIMALS)
    with pytest.raises(DataError, match="task must be one of classification, regression, not 'clustering'"):
        load_csv(path, task="clustering")
    with pytest.raises(DataError, match="missing must be one of error, drop, mean, not 'zero'"):
        load_csv(path, missing="zero")
    with pytest.raises(DataError, match="could not read nothing.csv"):
        load_csv(tmp_path / "nothing.csv")
    binary = write(tmp_path, "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(DataError, match=r"^image.csv is not a text file \(it contains binary bytes\)"):
        load_csv(binary)


def test_csv_encodings_latin1_and_utf8_bom(tmp_path):
    latin = write(tmp_path, "latin.csv", "n,drink,label\n1,café,0\n2,thé,1\n3,café,0\n", encoding="latin-1")
    data = load_csv(latin)
    assert data.feature_names == ["n", "drink=café", "drink=thé"]
    assert "read latin.csv as Latin-1 text because it is not UTF-8" in data.notes
    bom = load_csv(write(tmp_path, "bom.csv", "a,b,label\n1,2,no\n3,4,yes\n", encoding="utf-8-sig"))
    assert bom.feature_names == ["a", "b"] and not bom.notes


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_is_sniffed(tmp_path, delimiter):
    text = "a,b,c\n1,2,0\n3,4,1\n5,6,0\n".replace(",", delimiter)
    data = load_csv(write(tmp_path, "d.csv", text))
    assert data.feature_names == ["a", "b"] and data.x.tolist() == [[1, 2], [3, 4], [5, 6]]


def test_csv_quoted_cells_blank_lines_and_duplicate_names(tmp_path):
    text = 'a,colour,label\n1,"red, dark",0\n\n2,blue,1\n3,"red, dark",0\n\n\n'
    data = load_csv(write(tmp_path, "d.csv", text))
    assert data.feature_names == ["a", "colour=blue", "colour=red, dark"]
    assert "skipped 1 empty line (line 3)" in data.notes  # the blank lines at the end are not news
    with pytest.raises(DataError, match=r"^d.csv row 4 has 2 cells"):  # rows keep their line numbers
        load_csv(write(tmp_path, "d.csv", "a,b,c\n1,2,0\n\n3,4\n"))
    dup = load_csv(write(tmp_path, "dup.csv", "a,a,label\n1,2,no\n3,4,yes\n"))
    assert dup.feature_names == ["a", "a (2)"]
    assert dup.notes == ["two columns are named 'a': the one in column 2 is called 'a (2)'"]


def test_a_larger_csv_loads_exactly(tmp_path):  # its speed is measured in bench/, not here
    rng = np.random.default_rng(0)
    table = np.column_stack([rng.normal(size=(5_000, 19)).round(4), rng.integers(0, 5, 5_000)])
    path = tmp_path / "big.csv"
    np.savetxt(path, table, delimiter=",", fmt="%g", header=",".join(f"f{i}" for i in range(20)), comments="")
    data = load_csv(path)
    assert data.x.shape == (5_000, 19) and data.classes == 5
    assert torch.allclose(data.x[:3], torch.tensor(table[:3, :19], dtype=torch.float32))


# --- NumPy -----------------------------------------------------------------------------------------

def test_npz_table_with_class_indices(tmp_path):
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.savez(tmp_path / "d.npz", x=x, y=np.array([0, 2, 1, 2]))
    data = load_numpy(tmp_path / "d.npz")
    assert data.kind == "table" and data.task == "classification"
    assert data.x.dtype == torch.float32 and torch.equal(data.x, torch.tensor(x, dtype=torch.float32))
    assert data.y.tolist() == [0, 2, 1, 2] and data.class_names == ["0", "1", "2"] and data.notes == []


@pytest.mark.parametrize("names", [("X", "Y"), ("data", "labels"), ("images", "labels"), ("X", "y")])
def test_npz_other_array_names(tmp_path, names):
    np.savez(tmp_path / "d.npz", **{names[0]: np.zeros((3, 2)), names[1]: np.array([0, 1, 0])})
    assert load_numpy(tmp_path / "d.npz").x.shape == (3, 2)


def test_npz_without_known_names_lists_what_it_has(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.zeros((3, 2)), answer=np.zeros(3))
    with pytest.raises(DataError, match=r"^d.npz has no x and y arrays \(it has 'features', 'answer'\): "
                                        r"netbuilder looks for x and y \(or X and Y, data and labels"):
        load_numpy(tmp_path / "d.npz")


def test_npz_arrays_beside_a_target_are_named_inputs(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.zeros((3, 2)), extra=np.ones(3), target=np.array([0, 1, 0]))
    raw = load_numpy(tmp_path / "d.npz")
    assert raw.x.shape == (3, 2) and set(raw.inputs) == {"features", "extra"} and raw.inputs["extra"].shape == (3, 1)


def test_numpy_object_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.array([[1], [2]], dtype=object), y=np.array([0, 1]))
    with pytest.raises(DataError, match=r"^x in d.npz holds Python objects \(an object array\)"):
        load_numpy(tmp_path / "d.npz")
    np.save(tmp_path / "x.npy", np.array([{"a": 1}, {"b": 2}], dtype=object))
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    with pytest.raises(DataError, match=r"^x.npy holds Python objects"):
        load_numpy(tmp_path / "x.npy")


def test_npy_pair_explicit_or_found_next_to_x(tmp_path):
    np.save(tmp_path / "feats.npy", np.ones((3, 2)))
    np.save(tmp_path / "targets.npy", np.array([0.5, 1.5, 2.5]))
    data = load_numpy(tmp_path / "feats.npy", tmp_path / "targets.npy")
    assert data.task == "regression" and data.y.tolist() == [0.5, 1.5, 2.5] and data.notes == []
    np.save(tmp_path / "train_x.npy", np.ones((2, 2)))
    np.save(tmp_path / "train_y.npy", np.array([1, 0]))
    found = load_numpy(tmp_path / "train_x.npy")
    assert found.y.tolist() == [1, 0] and found.notes == ["read the labels from train_y.npy, next to train_x.npy"]
    np.save(tmp_path / "feats_y.npy", np.array([0, 1, 1]))
    assert load_numpy(tmp_path / "feats.npy").y.tolist() == [0, 1, 1]


def test_npy_without_labels_says_what_was_looked_for(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((3, 2)))
    with pytest.raises(DataError, match=r"^found no labels for x.npy: looked for y.npy, x_y.npy, x_labels.npy, "
                                        r"labels.npy next to it"):
        load_numpy(tmp_path / "x.npy")


def test_numpy_lengths_types_and_values_are_checked(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((100, 2)), y=np.zeros(98, np.int64))
    with pytest.raises(DataError, match=r"^x in d.npz has 100 samples but y in d.npz has 98$"):
        load_numpy(tmp_path / "d.npz")
    np.save(tmp_path / "x.npy", np.zeros((100, 2)))
    np.save(tmp_path / "y.npy", np.zeros(98, np.int64))
    with pytest.raises(DataError, match=r"^x.npy has 100 samples but y.npy has 98$"):
        load_numpy(tmp_path / "x.npy")
    np.savez(tmp_path / "s.npz", x=np.array([["a", "b"], ["c", "d"]]), y=np.array([0, 1]))
    with pytest.raises(DataError, match=r"^x in s.npz is not numeric \(its dtype is <U1\)"):
        load_numpy(tmp_path / "s.npz")
    x = np.zeros((10, 3))
    x[4, 1], x[7, 0], x[7, 2] = np.nan, np.inf, -np.inf
    np.savez(tmp_path / "n.npz", x=x, y=np.zeros(10, np.int64))
    with pytest.raises(DataError, match=r"^x in n.npz has 3 NaN or infinite values \(the first in sample 4, "):
        load_numpy(tmp_path / "n.npz")
    write(tmp_path, "junk.npy", b"not numpy at all")
    with pytest.raises(DataError, match=r"^junk.npy is not a NumPy .npy or .npz file$"):
        load_numpy(tmp_path / "junk.npy")


def test_numpy_labels_are_mapped_to_indices(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 2)), y=np.array([9, 5, 7, 5]))
    data = load_numpy(tmp_path / "d.npz")
    assert data.class_names == ["5", "7", "9"] and data.y.tolist() == [2, 0, 1, 0]
    assert data.notes == ["labels 5, 7, 9 became class indices 0 to 2"]
    np.savez(tmp_path / "t.npz", x=np.zeros((3, 2)), y=np.array(["dog", "cat", "dog"]))
    text = load_numpy(tmp_path / "t.npz")
    assert text.class_names == ["cat", "dog"] and text.y.tolist() == [1, 0, 1]
    np.savez(tmp_path / "o.npz", x=np.zeros((3, 2)), y=np.array([[0, 1], [1, 0], [0, 1]]))
    onehot = load_numpy(tmp_path / "o.npz")
    assert onehot.y.tolist() == [1, 0, 1] and "y in o.npz is one-hot: converted to class indices" in onehot.notes


def test_numpy_kind_follows_dimensions_and_channels_last_images_are_converted(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.zeros((5, 7, 3)), y=np.zeros(5, np.int64))
    assert load_numpy(tmp_path / "s.npz").kind == "sequence"
    nchw = np.random.default_rng(0).random((4, 3, 6, 5)).astype(np.float32)
    np.savez(tmp_path / "c.npz", x=nchw, y=np.arange(4))
    data = load_numpy(tmp_path / "c.npz")
    assert data.kind == "image" and torch.equal(data.x, torch.from_numpy(nchw)) and data.notes == []
    nhwc = np.zeros((4, 6, 5, 3), np.uint8)
    nhwc[:, :, :, 0] = 255
    np.savez(tmp_path / "i.npz", images=nhwc, labels=np.arange(4))
    data = load_numpy(tmp_path / "i.npz")
    assert data.x.shape == (4, 3, 6, 5) and data.x[:, 0].min() == 1 and data.x[:, 1:].max() == 0
    assert data.notes == ["images in i.npz is channels-last [N, H, W, C]: converted to [N, C, H, W]",
                          "images in i.npz holds bytes 0..255: divided by 255 to give 0..1"]
    np.savez(tmp_path / "b.npz", x=np.zeros((4, 6, 5, 4)), y=np.arange(4))
    with pytest.raises(DataError, match=r"images need 1 or 3 channels"):
        load_numpy(tmp_path / "b.npz")


# --- image folders ---------------------------------------------------------------------------------

RED, BLUE = (255, 0, 0), (0, 0, 255)


def image(folder, name, colour, size=(32, 32), mode="RGB"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)
    return path


def pets(tmp_path):
    root = tmp_path / "pets"
    image(root, "cats/a.png", RED, (10, 10))
    image(root, "cats/b.png", RED)
    image(root, "cats/c.png", RED, (20, 5))
    write(root, "cats/bad.png", b"this is not a png at all")
    write(root, "cats/notes.txt", "not an image")
    image(root, "dogs/d.png", BLUE)
    image(root, "dogs/e.JPG", BLUE)
    write(root, "dogs/.DS_Store", b"\x00\x00\x00\x01Bud1")
    return root


def test_image_folder_reads_classes_resizes_and_reports_what_it_skipped(tmp_path):
    data = load_image_folder(pets(tmp_path))
    assert data.kind == "image" and data.task == "classification"
    assert data.class_names == ["cats", "dogs"] and data.y.tolist() == [0, 0, 0, 1, 1]
    assert data.x.shape == (5, 3, 32, 32) and data.x.dtype == torch.float32
    assert torch.equal(data.x[:3, 0], torch.ones(3, 32, 32)) and data.x[:3, 1:].max() == 0
    assert data.x[3, 2].min() == 1 and data.x[3, :2].max() == 0
    assert torch.allclose(data.x[4, 2], torch.ones(32, 32), atol=0.02)  # the JPEG, nearly blue
    assert data.notes == ["ignored 2 non-image files: cats/notes.txt, dogs/.DS_Store",
                          "skipped 1 unreadable image: cats/bad.png",
                          "resized 2 of 5 images to 32x32"]


def test_image_folder_gray_and_size_as_width_by_height(tmp_path):
    root = tmp_path / "shades"
    half = Image.new("L", (16, 8), 0)
    half.paste(255, (8, 0, 16, 8))  # the right half white
    (root / "half").mkdir(parents=True)
    half.save(root / "half" / "h.png")
    image(root, "red/r.png", RED)
    data = load_image_folder(root, size=(8, 4), color="gray")
    assert data.x.shape == (2, 1, 4, 8)  # [N, C, H, W] from size (w, h)
    assert data.x[0, 0, :, :3].max() < 0.05 and data.x[0, 0, :, 5:].min() > 0.95
    assert torch.allclose(data.x[1], torch.full((1, 4, 8), 76 / 255), atol=1 / 255)  # red's luminance
    assert load_image_folder(root, size=5, color="rgb").x.shape == (2, 3, 5, 5)


def test_image_folder_palette_gif_with_transparency_and_nested_folders(tmp_path):
    root = tmp_path / "pics"
    gif = Image.new("P", (4, 4), 1)
    gif.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    (root / "a" / "deep").mkdir(parents=True)
    gif.save(root / "a" / "deep" / "g.gif", transparency=0)
    image(root, "b/b.png", BLUE)
    (root / ".git").mkdir()
    write(root, "readme.md", "hello")
    data = load_image_folder(root, size=(4, 4))
    assert data.y.tolist() == [0, 1] and data.x[0, 0].min() == 1
    assert "ignored 1 file outside the class folders: readme.md" in data.notes
    assert "ignored hidden folder .git" in data.notes


def test_image_folder_progress_is_reported_every_hundred(tmp_path):
    root = tmp_path / "many"
    for i in range(250):
        image(root, f"{'ab'[i % 2]}/{i}.png", (i, i, i), (2, 2))
    calls = []
    data = load_image_folder(root, size=(2, 2), progress=lambda done, total: calls.append((done, total)))
    assert len(data.x) == 250 and calls == [(100, 250), (200, 250), (250, 250)]


def test_image_folder_problems_name_the_folder(tmp_path):
    root = tmp_path / "pets"
    root.mkdir()
    with pytest.raises(DataError, match=r"^pets has no subfolders: put each class's images in a folder named after"):
        load_image_folder(root)
    image(root, "cats/a.png", RED)
    with pytest.raises(DataError, match=r"^pets has only one class folder \('cats'\): a classifier needs at least two"):
        load_image_folder(root)
    write(root, "dogs/readme.txt", "no pictures yet")
    with pytest.raises(DataError, match=r"^class folder 'dogs' in pets has no images \(netbuilder reads .bmp, "):
        load_image_folder(root)
    write(root, "dogs/d.png", b"garbage")
    with pytest.raises(DataError, match=r"^none of the images in class folder 'dogs' could be read$"):
        load_image_folder(root)
    write(root, "cats/a.png", b"garbage too")
    with pytest.raises(DataError, match=r"^none of the 2 images in pets could be read \(for example cats/a.png, "
                                        r"dogs/d.png\)$"):
        load_image_folder(root)
    with pytest.raises(DataError, match=r"is not a folder$"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(DataError, match=r"^color must be 'rgb' or 'gray', not 'cmyk'$"):
        load_image_folder(root, color="cmyk")
    with pytest.raises(DataError, match=r"^size must be \(width, height\) in whole pixels, not \(0, 3\)$"):
        load_image_folder(root, size=(0, 3))


# --- any path --------------------------------------------------------------------------------------

def test_load_path_dispatches_on_what_the_path_is(tmp_path):
    assert load_path(pets(tmp_path)).kind == "image"
    assert load_path(pets(tmp_path), color="gray").x.shape[1] == 1
    assert load_path(write(tmp_path, "d.csv", ANIMALS)).feature_names[0] == "age"
    assert load_path(write(tmp_path, "d.tsv", ANIMALS.replace(",", "\t"))).classes == 3
    assert load_path(write(tmp_path, "d.txt", ANIMALS), target="height").task == "regression"
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 2)), y=np.array([0, 1]))
    assert load_path(tmp_path / "d.npz").classes == 2
    np.save(tmp_path / "x.npy", np.zeros((2, 2)))
    np.save(tmp_path / "labels.npy", np.array([1.0, 2.0]))
    assert load_path(tmp_path / "x.npy").task == "regression"
    write(tmp_path, "book.xlsx", b"PK\x03\x04")
    with pytest.raises(DataError, match=r"^book.xlsx: netbuilder reads CSV, .npy/.npz and folders of images, "
                                        r"not '.xlsx'$"):
        load_path(tmp_path / "book.xlsx")
    write(tmp_path, "README", "hello")
    with pytest.raises(DataError, match=r"not a file without an extension$"):
        load_path(tmp_path / "README")
    with pytest.raises(DataError, match=r"nowhere.csv does not exist$"):
        load_path(tmp_path / "nowhere.csv")
