"""Files behind URLs: reading parts of one, listing many, writing one.

``https://`` and ``http://`` need nothing but the standard library
(``files/http_object.py``). Every other scheme goes through fsspec and the
store's own package (``s3fs``, ``gcsfs``, ``adlfs``, ``huggingface_hub``),
imported only here and only when such a URL is given: a local scan never
imports fsspec. A missing package is named in one line, with what to
``pip install``.

Whatever the store, a file is read as :class:`RemoteFile`: its size, then
ranged reads of the bytes that are looked at (``files/ranged.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keras_rescaling_patch.files.http_object import HttpObject, Pace, check_complete

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
WEB_SCHEMES = frozenset({"http", "https"})
# What each scheme's fsspec implementation is installed as, where it is not
# simply the first part of its module's name.
PACKAGES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "hf": "huggingface_hub",
}


class RemoteUnavailable(Exception):
    """The URL cannot be read here (a package is missing, an unknown scheme)."""


def scheme_of(text: str) -> str | None:
    """The scheme of a URL (``s3``), or ``None`` for a local path."""
    found = SCHEME.match(text)
    return found[1].lower() if found else None


def is_remote(text: str) -> bool:
    scheme = scheme_of(text)
    return scheme is not None and scheme != "file"


def local_path(text: str) -> str:
    """``file://`` URLs name local files: the path they name."""
    if scheme_of(text) == "file":
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(text).path)
    return text


class _FsspecObject:
    """One object of an fsspec filesystem: its size and ranged reads."""

    def __init__(self, fs: Any, path: str) -> None:
        self.fs = fs
        self.path = path
        self.requests = 0

    def size(self) -> int:
        self.requests += 1
        size = self.fs.size(self.path)
        if size is None:
            raise OSError("the store does not say how large the file is")
        return int(size)

    def fetch(self, start: int, end: int) -> bytes:
        self.requests += 1
        return bytes(self.fs.cat_file(self.path, start=start, end=end))


@dataclass
class RemoteFile:
    """A file behind a URL, read by size and ranges."""

    url: str
    backend: Any  # HttpObject or _FsspecObject

    @property
    def requests(self) -> int:
        return int(self.backend.requests)


def filesystem(url: str, timeout: float) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path within it."""
    scheme = scheme_of(url) or "file"
    try:
        import fsspec
    except ImportError:
        store = PACKAGES.get(scheme)
        needs = f"fsspec and {store}" if store else "fsspec"
        install = f"fsspec {store}" if store else "fsspec"
        raise RemoteUnavailable(
            f"reading {scheme}:// URLs needs {needs}: pip install {install}"
        ) from None
    try:
        fsspec.get_filesystem_class(scheme)
    except ValueError:
        raise RemoteUnavailable(
            f"no filesystem is known for {scheme}:// URLs"
        ) from None
    except ImportError:
        raise RemoteUnavailable(
            f"reading {scheme}:// URLs needs the {_package(fsspec, scheme)} package: "
            f"pip install {_package(fsspec, scheme)}"
        ) from None
    fs, path = fsspec.core.url_to_fs(url, **_options(scheme, timeout))
    return fs, str(path)


def _package(fsspec: Any, scheme: str) -> str:
    if scheme in PACKAGES:
        return PACKAGES[scheme]
    known = fsspec.registry.known_implementations.get(scheme, {})
    return str(known.get("class", scheme)).split(".", 1)[0]


def _options(scheme: str, timeout: float) -> dict[str, Any]:
    """Time limits, where the store's package takes them."""
    if scheme in ("s3", "s3a"):
        return {
            "config_kwargs": {
                "connect_timeout": timeout,
                "read_timeout": timeout,
                "retries": {"max_attempts": 2},
            }
        }
    if scheme in ("gs", "gcs"):
        return {"timeout": timeout}
    return {}


def open_file(url: str, timeout: float) -> RemoteFile:
    """A remote file, ready to read by size and ranges (nothing read yet)."""
    if scheme_of(url) in WEB_SCHEMES:
        return RemoteFile(url, HttpObject(url, timeout))
    fs, path = filesystem(url, timeout)
    return RemoteFile(url, _FsspecObject(fs, path))


def names_folder(url: str) -> bool:
    """Whether a web URL names a folder (``https://host/models/``), which
    HTTP cannot list, rather than a file."""
    from urllib.parse import urlsplit

    return urlsplit(url).path.endswith("/") or not urlsplit(url).path


@dataclass(frozen=True)
class Listed:
    """A file a URL names (``below`` is ``None``), or one found under a prefix
    or by a pattern (``below``: its path below the prefix, or below the
    pattern's fixed part; only model files are taken from those)."""

    url: str
    below: str | None
    size: int | None = None  # when the listing said it


def list_files(url: str, timeout: float) -> Iterator[Listed]:
    """The files ``url`` stands for: itself, what a prefix holds, or what a
    pattern (``*``, ``**``, ``?``, ``[...]``) matches. A prefix is listed a
    level at a time (as the store lists it), sorted within each level, and
    what is found is given at once: a million objects are never held."""
    if scheme_of(url) in WEB_SCHEMES:
        if names_folder(url):
            raise RemoteUnavailable(
                f"{scheme_of(url)}:// has no way to list a folder; name each "
                "file's URL (folders and prefixes: s3://, gs://, az://... with "
                "fsspec)"
            )
        yield Listed(url, None)
        return
    fs, path = filesystem(url, timeout)
    if any(character in path for character in "*?["):
        fixed = path.split("*")[0].split("?")[0].split("[")[0].rsplit("/", 1)[0]
        for found, details in sorted(fs.glob(path, detail=True).items()):
            if details.get("type") != "directory":
                below = found[len(fixed) :].lstrip("/")
                yield Listed(
                    _as_given(url, path, found, fs), below, details.get("size")
                )
        return
    info = fs.info(path)
    if info.get("type") != "directory":
        yield Listed(url, None, info.get("size"))
        return
    top = path.rstrip("/")
    for folder, folders, files in fs.walk(path, detail=True):
        in_order = dict(sorted(folders.items()))  # walked in this order, after
        folders.clear()
        folders.update(in_order)
        for name in sorted(files):
            details = files[name]
            if details.get("type") == "directory":
                continue
            found = f"{folder.rstrip('/')}/{name}"
            below = found[len(top) :].lstrip("/")
            yield Listed(_as_given(url, path, found, fs), below, details.get("size"))


def _as_given(url: str, path: str, found: str, fs: Any) -> str:
    """The URL of ``found`` (under the prefix ``path``), spelled the way the
    user spelled the prefix (``memory://a/`` rather than ``memory:///a/``)."""
    prefix = path.rstrip("/") + "/"
    if found.startswith(prefix):
        return url.rstrip("/") + "/" + found[len(prefix) :]
    return str(fs.unstrip_protocol(found))


def _web_only(url: str, action: str) -> None:
    if scheme_of(url) in WEB_SCHEMES:
        raise RemoteUnavailable(f"cannot {action} {scheme_of(url)}:// URLs")


def exists(url: str, timeout: float) -> bool:
    """Whether an object is at ``url`` (to refuse early what ``upload`` would)."""
    _web_only(url, "write to")
    fs, path = filesystem(url, timeout)
    return bool(fs.exists(path))


# Reads and writes of whole files go in parts of this size, so memory stays
# small whatever the model's size (S3 multipart parts must be 5 MiB or more).
PART_BYTES = 8 * 1024 * 1024


def download(url: str, destination: Path, timeout: float) -> None:
    """Copy the whole file at ``url`` to ``destination`` (a new local file),
    a part at a time; a transfer that stalls (less than 64 KiB in a time
    limit) raises ``TimeoutError``."""
    if scheme_of(url) in WEB_SCHEMES:
        HttpObject(url, timeout).download(destination)
        return
    fs, path = filesystem(url, timeout)
    pace = Pace(timeout)  # the same progress bound as over HTTP
    with (
        fs.open(path, "rb", block_size=PART_BYTES, cache_type="none") as source,
        open(destination, "xb") as out,
    ):
        while part := source.read(PART_BYTES):
            out.write(part)
            pace.arrived(len(part))
        size = getattr(source, "size", None)
        if isinstance(size, int):
            check_complete(pace.total, size)


def upload(source: Path, url: str, timeout: float, *, replace: bool) -> None:
    """Write the local file ``source`` to ``url`` as a whole.

    Without ``replace``, a conditional create: ``FileExistsError`` if an
    object is there, also one that appeared a moment ago where the store
    can check at write time (S3 ``If-None-Match``; elsewhere fsspec checks
    just before writing).
    """
    _web_only(url, "write to")
    fs, path = filesystem(url, timeout)
    s3 = hasattr(fs, "call_s3")
    if url.endswith("/") or (s3 and "/" not in path.strip("/")):
        raise IsADirectoryError(f"{url} names a bucket or a prefix, not an object")
    mode = "overwrite" if replace else "create"
    if not s3:
        fs.put_file(str(source), path, mode=mode)
        return
    bucket, key, _ = fs.split_path(path)
    before = _unfinished_uploads(fs, bucket, key)
    try:  # S3: parts of PART_BYTES, one at a time
        fs.put_file(
            str(source), path, mode=mode, chunksize=PART_BYTES, max_concurrency=1
        )
    except BaseException:
        _abort_new_uploads(fs, bucket, key, before)
        raise


def _unfinished_uploads(fs: Any, bucket: str, key: str) -> set[str]:
    """Ids of the multipart uploads of ``key`` that are under way."""
    listing = fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=key)
    return {u["UploadId"] for u in listing.get("Uploads", []) if u["Key"] == key}


def _abort_new_uploads(fs: Any, bucket: str, key: str, before: set[str]) -> None:
    """Abort what an interrupted S3 upload of ``key`` left: parts of an
    unfinished multipart upload cost storage until aborted. Uploads that were
    under way before this one began are someone else's and are left alone
    (told apart by id, not by time: stores' clocks and ours disagree)."""
    try:
        for upload_id in _unfinished_uploads(fs, bucket, key) - before:
            fs.call_s3(
                "abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id
            )
    except Exception:  # noqa: BLE001 - best effort, on the way out
        pass
