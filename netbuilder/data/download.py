"""Fetching the standard datasets' original files into a cache folder, checked by SHA-256.

Every file is written to `<file>.part` and renamed onto its real name only once it is complete and
its hash is right, so a crash or a bad download never leaves a file that looks usable. The SHA-256
values in SOURCES are the published ones, each agreeing across several independent projects:
MNIST and Fashion-MNIST from tensorflow/datasets (url_checksums/mnist.txt, fashion_mnist.txt) and
torchvision's prototype mnist.py; CIFAR-10 from tf.keras (datasets/cifar10.py, file_hash), which
other projects record next to the archive's canonical MD5 c58f30108f718f92721af3b95e74349a.
The ossci-datasets mirror serves the same MNIST bytes as the cvdf mirror those tables name.
A source whose hash is None (none today) gets the hash of its first complete download recorded in
a `<file>.sha256` sidecar, and later checks compare against that instead."""
from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .raw import DataError

CHUNK = 1 << 20
Progress = Callable[[int, "int | None"], object]


@dataclass(frozen=True)
class RemoteFile:
    name: str  # file name in the cache folder
    url: str
    sha256: str | None  # None: trust the first complete download and record it in <name>.sha256
    size: int  # bytes, as published; only used to tell the user how much a download is


_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"


def _idx_files(base: str, rows: tuple[tuple[str, str, int], ...]) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(name, base + name, sha, size) for name, sha, size in rows)


SOURCES: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": _idx_files(_MNIST, (
        ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
        ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
        ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
        ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
    )),
    "fashion_mnist": _idx_files(_FASHION, (
        ("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
        ("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
        ("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102),
        ("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148),
    )),
    "cifar10": (RemoteFile("cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                           "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce", 170498071),),
}
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}


def check_name(name: str) -> None:
    if name not in SOURCES:
        raise DataError(f"unknown dataset {name!r}; the standard ones are {', '.join(SOURCES)}")


def default_cache_dir(name: str) -> Path:
    """$NETBUILDER_DATA_DIR/<name> if that variable is set, else ~/.cache/netbuilder/datasets/<name>.
    Each dataset gets its own folder: MNIST and Fashion-MNIST use the same file names."""
    check_name(name)
    root = os.environ.get("NETBUILDER_DATA_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "netbuilder" / "datasets"
    return base / name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def expected_sha256(remote: RemoteFile, folder: Path) -> str | None:
    """The table's hash, else the one recorded at the first download, else None (nothing to check)."""
    if remote.sha256:
        return remote.sha256
    sidecar = _sidecar(folder / remote.name)
    words = sidecar.read_text().split() if sidecar.is_file() else []
    return words[0] if words else None


def damaged(name: str, folder: Path) -> dict[str, str]:
    """File name -> what is wrong, for each file of `name` in `folder` whose SHA-256 is not the expected one."""
    problems = {}
    for remote in SOURCES[name]:
        path, expected = Path(folder) / remote.name, expected_sha256(remote, Path(folder))
        if path.is_file() and expected and (actual := sha256_of(path)) != expected:
            problems[remote.name] = f"{remote.name}: its SHA-256 is {actual}, expected {expected}"
    return problems


def download(name: str, cache_dir: str | Path | None = None, progress: Progress | None = None,
             urls: Mapping[str, str] | None = None) -> Path:
    """Fetch the files of `name` ("mnist", "fashion_mnist", "cifar10") that `cache_dir` (default:
    default_cache_dir(name)) lacks or holds damaged; return the folder.

    progress(done_bytes, total_bytes_or_None) is called after each chunk of each file (done starts
    again for every file); it may raise to cancel, which removes the partial file and propagates.
    urls maps a file name to another URL for it (a mirror, or file:// in tests); the hash still applies.
    A file already there and matching its hash is not fetched again; a .gz whose unzipped form is
    there counts as there. Any failure raises DataError naming the file and keeps nothing of it."""
    check_name(name)
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir(name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the folder {folder} for {TITLES[name]} ({exc.strerror or exc})") from exc
    for remote in SOURCES[name]:
        target = folder / remote.name
        target.with_name(target.name + ".part").unlink(missing_ok=True)  # from an earlier crash: never resumed
        expected = expected_sha256(remote, folder)
        if remote.name.endswith(".gz") and (folder / remote.name[:-3]).is_file():
            continue
        if target.is_file():
            if expected is None:
                _sidecar(target).write_text(f"{sha256_of(target)}  {remote.name}\n")
                continue
            if sha256_of(target) == expected:
                continue
            target.unlink()  # damaged: fetch it again, checked against the same hash
        url = (urls or {}).get(remote.name, remote.url)
        actual = _fetch(url, target, expected, progress)
        if expected is None:
            _sidecar(target).write_text(f"{actual}  {remote.name}\n")
    return folder


def _fetch(url: str, target: Path, expected: str | None, progress: Progress | None) -> str:
    """Stream url into target.part, check it, rename it onto target; return its SHA-256."""
    part = target.with_name(target.name + ".part")
    digest, done = hashlib.sha256(), 0
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "netbuilder"})
        with urllib.request.urlopen(request, timeout=60) as response, open(part, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        if total is not None and done != total:
            raise DataError(f"{target.name}: the download stopped after {done} of {total} bytes; nothing was kept")
        actual = digest.hexdigest()
        if expected is not None and actual != expected:
            raise DataError(f"{target.name}: the download's SHA-256 is {actual}, expected {expected}; "
                            "nothing was kept")
        os.replace(part, target)
        return actual
    except DataError:
        part.unlink(missing_ok=True)
        raise
    except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError and HTTPError are OSErrors
        part.unlink(missing_ok=True)
        plain_url_error = isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError)
        reason = exc.reason if plain_url_error else exc
        raise DataError(f"{target.name}: the download from {url} failed ({reason}); nothing was kept") from exc
    except BaseException:  # a cancel from the progress callback, KeyboardInterrupt, ...
        part.unlink(missing_ok=True)
        raise
