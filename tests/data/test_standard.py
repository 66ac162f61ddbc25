"""MNIST-style IDX files, CIFAR-10 python batches and downloads, all made small in tmp_path in the
real formats. Downloads go to file:// URLs only; a fixture makes any socket connection fail."""
import dataclasses
import gzip
import hashlib
import io
import os
import pickle
import socket
import struct
import tarfile

import numpy as np
import pytest
import torch

from netbuilder.data import download as dl
from netbuilder.data.raw import DataError
from netbuilder.data.standard import (CIFAR10_CLASSES, FASHION_MNIST_CLASSES, DatasetMissing, load_cifar10,
                                      load_mnist, load_standard, missing_files, read_idx)

N_TRAIN, N_TEST = 50, 20


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def idx_bytes(array, code=0x08):
    array = np.asarray(array)
    return struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write(path, payload, gz):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def mnist_folder(folder, gz=True, n_train=N_TRAIN, n_test=N_TEST, seed=0):
    """The four MNIST files; returns the uint8 arrays written, by file stem."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8)}
    arrays["train-images-idx3-ubyte"][0, 0, :2] = (0, 255)  # both ends of the scale are present
    for stem, array in arrays.items():
        write(folder / (stem + (".gz" if gz else "")), idx_bytes(array), gz)
    return arrays


# ---- IDX -------------------------------------------------------------------------------------

def test_read_idx_reads_gzipped_and_plain_files_alike(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    plain = read_idx(write(tmp_path / "a-idx3-ubyte", idx_bytes(images), gz=False))
    zipped = read_idx(write(tmp_path / "a-idx3-ubyte.gz", idx_bytes(images), gz=True))
    unnamed = read_idx(write(tmp_path / "b-idx3-ubyte", idx_bytes(images), gz=True))  # gzip told by content
    for array in (plain, zipped, unnamed):
        assert array.dtype == np.uint8 and array.shape == (3, 4, 5) and np.array_equal(array, images)
        assert array.flags.writeable
    wide = np.array([[1, -2], [300000, 4]], dtype=">i4")
    assert np.array_equal(read_idx(write(tmp_path / "w.idx", idx_bytes(wide, 0x0C), gz=False)), wide)


@pytest.mark.parametrize("payload, message", [
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "not an IDX file (magic number 0x89504e47"),
    (b"\x00\x00\x08", "too short to be an IDX file (3 bytes)"),
    (b"\x00\x00\x07\x01" + bytes(8), "not an IDX file (magic number 0x00000701"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 60000), "ends inside its header"),
])
def test_read_idx_refuses_what_is_not_idx(tmp_path, payload, message):
    path = write(tmp_path / "train-images-idx3-ubyte", payload, gz=False)
    with pytest.raises(DataError, match="^train-images-idx3-ubyte: ") as caught:
        read_idx(path)
    assert message in str(caught.value)


def test_read_idx_checks_the_size_against_the_header(tmp_path):
    header = struct.pack(">HBBIII", 0, 8, 3, 60000, 28, 28)
    path = write(tmp_path / "train-images-idx3-ubyte.gz", header + bytes(1203), gz=True)
    with pytest.raises(DataError) as caught:
        read_idx(path)
    assert str(caught.value) == ("train-images-idx3-ubyte.gz: the header says 60000 images of 28x28 "
                                 "(47040000 bytes) but the file holds 1203 bytes of pixels")
    labels = write(tmp_path / "labels", idx_bytes(np.zeros(10, np.uint8)) + b"\x01", gz=False)  # one byte too many
    with pytest.raises(DataError, match="header says 10 labels .10 bytes. but the file holds 11 bytes of labels"):
        read_idx(labels)


def test_read_idx_reports_a_truncated_gzip(tmp_path):
    whole = gzip.compress(idx_bytes(np.zeros((20, 28, 28), np.uint8)))
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"^t10k-images-idx3-ubyte.gz: truncated gzip"):
        read_idx(path)
    path.write_bytes(whole[:-8] + bytes(8))  # complete stream, wrong CRC and length
    with pytest.raises(DataError, match=r"^t10k-images-idx3-ubyte.gz: damaged gzip"):
        read_idx(path)


# ---- MNIST -----------------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_shapes_scaling_labels_and_test_split(tmp_path, gz):
    arrays = mnist_folder(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    assert data.x.shape == (N_TRAIN, 1, 28, 28) and data.x.dtype == torch.float32
    assert data.y.shape == (N_TRAIN,) and data.y.dtype == torch.int64
    assert data.x.min() == 0.0 and data.x.max() == 1.0
    assert torch.equal(data.x[:, 0], torch.from_numpy(arrays["train-images-idx3-ubyte"]).float() / 255)
    assert data.y.tolist() == arrays["train-labels-idx1-ubyte"].tolist()
    test_x, test_y = data.test
    assert test_x.shape == (N_TEST, 1, 28, 28) and test_y.dtype == torch.int64
    assert torch.equal(test_x[:, 0], torch.from_numpy(arrays["t10k-images-idx3-ubyte"]).float() / 255)
    assert test_y.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()
    assert (data.kind, data.task, data.class_names, data.classes) == (
        "image", "classification", [str(d) for d in range(10)], 10)


def test_fashion_mnist_names_its_classes_and_mixed_gzip_is_fine(tmp_path):
    mnist_folder(tmp_path, gz=True)
    plain = tmp_path / "t10k-labels-idx1-ubyte"
    plain.write_bytes(gzip.decompress((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    data = load_mnist(tmp_path, fashion=True)
    assert data.class_names == FASHION_MNIST_CLASSES == [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    assert len(data.test[1]) == N_TEST


def test_load_mnist_lists_the_missing_files_and_the_folder(tmp_path):
    mnist_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DatasetMissing) as caught:
        load_mnist(tmp_path)
    message = str(caught.value)
    assert "train-labels-idx1-ubyte[.gz]" in message and "t10k-images-idx3-ubyte[.gz]" in message
    assert str(tmp_path) in message and "can be downloaded" in message
    assert "train-images" not in message
    assert caught.value.missing == ["train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
    assert missing_files("mnist", tmp_path) == caught.value.missing


def test_load_mnist_refuses_images_and_labels_that_disagree(tmp_path):
    mnist_folder(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(N_TRAIN - 1, np.uint8)), gz=True)
    with pytest.raises(DataError, match=f"train-images-idx3-ubyte.gz holds {N_TRAIN} images but "
                                        f"train-labels-idx1-ubyte.gz holds {N_TRAIN - 1} labels"):
        load_mnist(tmp_path)


def test_load_mnist_refuses_swapped_files_bad_labels_and_odd_test_sizes(tmp_path):
    arrays = mnist_folder(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(arrays["train-images-idx3-ubyte"]), gz=True)
    with pytest.raises(DataError, match="^train-labels-idx1-ubyte.gz: expected labels .* 3 dimension"):
        load_mnist(tmp_path)
    labels = arrays["train-labels-idx1-ubyte"].copy()
    labels[7] = 12
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(labels), gz=True)
    with pytest.raises(DataError, match="^train-labels-idx1-ubyte.gz: label 12 at index 7; labels must be 0 to 9"):
        load_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(arrays["train-labels-idx1-ubyte"]), gz=True)
    write(tmp_path / "t10k-images-idx3-ubyte.gz", idx_bytes(np.zeros((N_TEST, 32, 32), np.uint8)), gz=True)
    with pytest.raises(DataError, match="images are 32x32 but the training images are 28x28"):
        load_mnist(tmp_path)


# ---- CIFAR-10 --------------------------------------------------------------------------------

def cifar_batches(seed=0, per_batch=6, n_test=8, labels_as_list=True):
    rng = np.random.default_rng(seed)
    batches = {}
    for name, n in [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", n_test)]:
        labels = rng.integers(0, 10, n)
        batches[name] = {b"batch_label": name.encode(), b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                         b"labels": [int(v) for v in labels] if labels_as_list else labels}
    return batches


def write_cifar(folder, batches, protocol=2):
    folder.mkdir(parents=True, exist_ok=True)
    for name, batch in batches.items():
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=protocol)
    return folder


def write_cifar_tar(path, batches):
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            blob = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def check_cifar(data, batches):
    train = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    assert data.x.shape == (30, 3, 32, 32) and data.x.dtype == torch.float32
    assert torch.equal(data.x, torch.from_numpy(train).float().reshape(30, 3, 32, 32) / 255)
    assert data.x[4, 1, 0, 2] == float(train[4, 1024 + 2]) / 255  # green channel, row 0, column 2
    assert data.y.dtype == torch.int64
    assert data.y.tolist() == [v for i in range(1, 6) for v in np.asarray(batches[f"data_batch_{i}"][b"labels"])]
    test_x, test_y = data.test
    assert test_x.shape == (8, 3, 32, 32) and test_y.tolist() == list(np.asarray(batches["test_batch"][b"labels"]))
    assert data.class_names == CIFAR10_CLASSES and (data.kind, data.task) == ("image", "classification")


@pytest.mark.parametrize("protocol, labels_as_list", [(2, True), (4, False), (5, True)])
def test_load_cifar10_from_a_folder_of_batches(tmp_path, protocol, labels_as_list):
    batches = cifar_batches(labels_as_list=labels_as_list)
    check_cifar(load_cifar10(write_cifar(tmp_path, batches, protocol)), batches)


def test_load_cifar10_from_the_parent_folder_the_archive_and_its_folder(tmp_path):
    batches = cifar_batches()
    write_cifar(tmp_path / "parent" / "cifar-10-batches-py", batches)
    check_cifar(load_cifar10(tmp_path / "parent"), batches)
    archive = write_cifar_tar(tmp_path / "cifar-10-python.tar.gz", batches)
    check_cifar(load_cifar10(archive), batches)
    check_cifar(load_cifar10(tmp_path), batches)  # the folder holding the archive


def test_a_numpy_1_pickle_is_read_without_numpy_core(tmp_path):
    """The real batches name numpy.core.multiarray._reconstruct (numpy 1); numpy 2 renamed it."""
    batches = cifar_batches()
    folder = write_cifar(tmp_path, batches)
    for name in batches:
        blob = (folder / name).read_bytes()
        assert b"numpy._core.multiarray" in blob
        (folder / name).write_bytes(blob.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    check_cifar(load_cifar10(folder), batches)


class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    batches = cifar_batches()
    marker = tmp_path / "pwned"
    batches["data_batch_3"][b"labels"] = Exploit(marker)
    folder = write_cifar(tmp_path / "batches", batches)
    with pytest.raises(DataError) as caught:
        load_cifar10(folder)
    assert str(caught.value).startswith("data_batch_3: the file holds Python objects other than arrays")
    assert "system" in str(caught.value) and str(caught.value).endswith("refusing to load it")
    assert not marker.exists()


@pytest.mark.parametrize("change, message", [
    (lambda b: b.update({b"data": b[b"data"][:, :100]}), "'data' should be uint8 rows of 3072 values"),
    (lambda b: b.update({b"data": b[b"data"].astype(np.int64)}), "is int64"),
    (lambda b: b.update({b"labels": b[b"labels"][:-1]}), "6 images but 5 labels"),
    (lambda b: b.update({b"labels": [0.5] * 6}), "'labels' should be a list of whole numbers"),
    (lambda b: b.pop(b"labels"), "expected a dict with 'data' and 'labels'"),
    (lambda b: b[b"labels"].__setitem__(2, 10), "data_batch_2: label 10 at index 2; labels must be 0 to 9"),
])
def test_load_cifar10_refuses_malformed_batches(tmp_path, change, message):
    batches = cifar_batches()
    change(batches["data_batch_2"])
    with pytest.raises(DataError, match="^data_batch_") as caught:
        load_cifar10(write_cifar(tmp_path, batches))
    assert message in str(caught.value)


def test_load_cifar10_reports_missing_batches_and_broken_files(tmp_path):
    batches = cifar_batches()
    folder = write_cifar(tmp_path / "cifar-10-batches-py", batches)
    (folder / "data_batch_4").unlink()
    with pytest.raises(DatasetMissing, match="no data_batch_4 in .*cifar-10-batches-py") as caught:
        load_cifar10(tmp_path)
    assert caught.value.missing == ["cifar-10-python.tar.gz"]
    (folder / "data_batch_4").write_bytes(b"this is not a pickle")
    with pytest.raises(DataError, match="^data_batch_4: not a CIFAR-10 batch"):
        load_cifar10(folder)
    whole = write_cifar_tar(tmp_path / "whole.tar.gz", batches).read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="^cut.tar.gz: not a readable tar archive, or cut short"):
        load_cifar10(cut)
    short = write_cifar_tar(tmp_path / "short.tar.gz", {k: v for k, v in batches.items() if k != "test_batch"})
    with pytest.raises(DataError, match="^short.tar.gz: the archive holds no test_batch"):
        load_cifar10(short)


# ---- downloads -------------------------------------------------------------------------------

def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_table(monkeypatch, name, source, hashes=True):
    """Point the table's URLs at file:// copies in `source`; hashes: the copies' real ones, or None."""
    table = tuple(dataclasses.replace(f, url=(source / f.name).as_uri(),
                                      sha256=sha(source / f.name) if hashes else None) for f in dl.SOURCES[name])
    monkeypatch.setitem(dl.SOURCES, name, table)
    return {f.name: f.url for f in table}


def test_download_streams_checks_and_reports_progress(tmp_path, monkeypatch):
    mnist_folder(tmp_path / "source")
    urls = source_table(monkeypatch, "mnist", tmp_path / "source")
    calls = []
    monkeypatch.setattr(dl, "CHUNK", 1000)
    folder = dl.download("mnist", tmp_path / "cache", progress=lambda done, total: calls.append((done, total)),
                         urls=urls)
    assert folder == tmp_path / "cache"
    for name in urls:
        assert (folder / name).read_bytes() == (tmp_path / "source" / name).read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == sorted(urls)  # no .part, no sidecar
    sizes = [(tmp_path / "source" / name).stat().st_size for name in urls]
    ends = [(done, total) for done, total in calls if done == total]
    assert ends == [(size, size) for size in sizes]
    assert len(calls) >= sum(-(-size // 1000) for size in sizes) and all(d > 0 for d, _ in calls)
    data = load_standard("mnist", folder)
    assert data.x.shape == (N_TRAIN, 1, 28, 28)


def test_a_hash_mismatch_keeps_nothing(tmp_path):
    mnist_folder(tmp_path / "source")  # the table keeps the real MNIST hashes, which these files lack
    urls = {name: (tmp_path / "source" / name).as_uri() for name in os.listdir(tmp_path / "source")}
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as caught:
        dl.download("mnist", cache, urls=urls)
    actual = sha(tmp_path / "source" / "train-images-idx3-ubyte.gz")
    assert str(caught.value) == (f"train-images-idx3-ubyte.gz: the download's SHA-256 is {actual}, expected "
                                 "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609; nothing was kept")
    assert list(cache.iterdir()) == []


def test_a_stale_part_is_removed_and_never_used(tmp_path, monkeypatch):
    mnist_folder(tmp_path / "source")
    urls = source_table(monkeypatch, "mnist", tmp_path / "source")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "t10k-labels-idx1-ubyte.gz.part").write_bytes(b"left over from a crash")
    dl.download("mnist", cache, urls=urls)
    assert not (cache / "t10k-labels-idx1-ubyte.gz.part").exists()
    assert (cache / "t10k-labels-idx1-ubyte.gz").read_bytes() == (
        tmp_path / "source" / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (cache / "train-images-idx3-ubyte.gz.part").write_bytes(b"left over")  # beside a complete, checked file
    dl.download("mnist", cache, urls=urls)
    assert sorted(p.name for p in cache.iterdir()) == sorted(urls)


def test_present_files_are_not_fetched_again_but_damaged_ones_are(tmp_path, monkeypatch):
    mnist_folder(tmp_path / "source")
    urls = source_table(monkeypatch, "mnist", tmp_path / "source")
    cache = dl.download("mnist", tmp_path / "cache", urls=urls)
    backup = (tmp_path / "source").rename(tmp_path / "gone")
    calls = []
    dl.download("mnist", cache, progress=lambda *a: calls.append(a), urls=urls)  # the source is gone: no fetch
    assert calls == []
    backup.rename(tmp_path / "source")
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(b"damaged")
    dl.download("mnist", cache, progress=lambda *a: calls.append(a), urls=urls)
    assert (cache / "train-labels-idx1-ubyte.gz").read_bytes() == (
        tmp_path / "source" / "train-labels-idx1-ubyte.gz").read_bytes()
    assert calls and {total for _, total in calls} == {(cache / "train-labels-idx1-ubyte.gz").stat().st_size}


def test_failures_and_a_cancel_leave_no_part(tmp_path, monkeypatch):
    mnist_folder(tmp_path / "source")
    urls = source_table(monkeypatch, "mnist", tmp_path / "source")
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="^train-labels-idx1-ubyte.gz: the download from file:.* failed"):
        dl.download("mnist", cache, urls={**urls, "train-labels-idx1-ubyte.gz": (tmp_path / "nope").as_uri()})
    assert not list(cache.glob("*.part")) and not (cache / "train-labels-idx1-ubyte.gz").exists()

    class Cancelled(Exception):
        pass

    def cancel(done, total):
        raise Cancelled
    (cache / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(Cancelled):
        dl.download("mnist", cache, progress=cancel, urls=urls)
    assert not list(cache.glob("*.part")) and not (cache / "train-images-idx3-ubyte.gz").exists()
    with pytest.raises(DataError, match="unknown dataset 'imagenet'"):
        dl.download("imagenet", cache)


def test_without_a_known_hash_the_first_download_is_recorded_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "data"))
    mnist_folder(tmp_path / "source")
    source_table(monkeypatch, "mnist", tmp_path / "source", hashes=False)
    data = load_standard("mnist", download_missing=True)
    cache = tmp_path / "data" / "mnist"
    assert data.x.shape == (N_TRAIN, 1, 28, 28)
    sidecar = cache / "t10k-images-idx3-ubyte.gz.sha256"
    assert sidecar.read_text().split() == [sha(cache / "t10k-images-idx3-ubyte.gz"), "t10k-images-idx3-ubyte.gz"]
    tampered = gzip.compress(idx_bytes(np.zeros((N_TEST, 28, 28), np.uint8)))
    (cache / "t10k-images-idx3-ubyte.gz").write_bytes(tampered)  # a valid file, but not the one downloaded
    with pytest.raises(DatasetMissing, match="t10k-images-idx3-ubyte.gz: its SHA-256 is .*download it again") as caught:
        load_standard("mnist")
    assert caught.value.missing == ["t10k-images-idx3-ubyte.gz"]
    load_standard("mnist", download_missing=True)  # fetched again and checked against the recorded hash
    assert (cache / "t10k-images-idx3-ubyte.gz").read_bytes() == (
        tmp_path / "source" / "t10k-images-idx3-ubyte.gz").read_bytes()


def test_load_standard_says_what_is_missing_and_that_it_can_be_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DatasetMissing) as caught:
        load_standard("fashion_mnist")
    error = caught.value
    assert error.dataset == "fashion_mnist" and error.folder == tmp_path / "data" / "fashion_mnist"
    assert error.missing == [f.name for f in dl.SOURCES["fashion_mnist"]]
    assert str(error).startswith("Fashion-MNIST: no train-images-idx3-ubyte[.gz]")
    assert "can be downloaded (about 31 MB)" in str(error)
    with pytest.raises(DatasetMissing, match="CIFAR-10: .*can be downloaded .about 170 MB."):
        load_standard("cifar10", folder=tmp_path / "empty")


def test_cifar10_is_downloaded_as_its_archive_and_read_from_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "data"))
    batches = cifar_batches()
    (tmp_path / "source").mkdir()
    write_cifar_tar(tmp_path / "source" / "cifar-10-python.tar.gz", batches)
    source_table(monkeypatch, "cifar10", tmp_path / "source")
    calls = []
    check_cifar(load_standard("cifar10", download_missing=True, progress=lambda *a: calls.append(a)), batches)
    assert (tmp_path / "data" / "cifar10" / "cifar-10-python.tar.gz").is_file() and calls


def test_the_default_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NETBUILDER_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert dl.default_cache_dir("mnist") == tmp_path / ".cache" / "netbuilder" / "datasets" / "mnist"
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "elsewhere"))
    assert dl.default_cache_dir("cifar10") == tmp_path / "elsewhere" / "cifar10"


def test_the_table_has_a_real_sha256_for_every_file():
    for files in dl.SOURCES.values():
        for f in files:
            assert f.sha256 is not None and len(f.sha256) == 64 and int(f.sha256, 16) >= 0
            assert f.url.endswith(f.name) and f.size > 0
