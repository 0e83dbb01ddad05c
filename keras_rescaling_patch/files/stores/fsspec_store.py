"""Every scheme but the web's, through fsspec and the store's own package.

``s3://``, ``gs://``, ``az://``, ``hf://``, ``memory://``... go through
[fsspec](https://filesystem-spec.readthedocs.io) and the package that
implements the scheme (``s3fs``, ``gcsfs``, ``adlfs``, ``huggingface_hub``),
imported only here and only when such a URL is used. A missing package is
named in one line, with what to ``pip install``. A prefix is listed a level
at a time, sorted within each level, and given as it is found: a million
objects are never held; a pattern is matched below its fixed part by the
package's own glob engine (``stores/patterns.py``), as a local one is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from keras_rescaling_patch.files.stores.http import Pace, check_complete
from keras_rescaling_patch.files.stores.location import Url, has_magic
from keras_rescaling_patch.files.stores.patterns import fixed_part, matches_path
from keras_rescaling_patch.files.stores.remote import Listed, RemoteUnavailable

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
# Reads and writes of whole files go in parts of this size, so memory stays
# small whatever the model's size (S3 multipart parts must be 5 MiB or more).
PART_BYTES = 8 * 1024 * 1024


class FsspecObject:
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


def filesystem(url: Url, timeout: float) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path within it."""
    scheme = url.scheme
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
        package = _package(fsspec, scheme)
        raise RemoteUnavailable(
            f"reading {scheme}:// URLs needs the {package} package: "
            f"pip install {package}"
        ) from None
    fs, path = fsspec.core.url_to_fs(url.text, **_options(scheme, timeout))
    return fs, str(path)


class FsspecStore:
    """The store for one fsspec URL's filesystem (made on first use)."""

    def __init__(self, url: Url, timeout: float) -> None:
        self.timeout = timeout
        self._fs: tuple[Any, str] | None = None
        self._url = url

    def _filesystem(self, url: Url) -> tuple[Any, str]:
        if self._fs is None or url is not self._url:
            self._fs = filesystem(url, self.timeout)
            self._url = url
        return self._fs

    def reader(self, url: Url) -> FsspecObject:
        fs, path = self._filesystem(url)
        return FsspecObject(fs, path)

    def list(self, url: Url) -> Iterator[Listed]:
        """The files ``url`` stands for: itself, what a prefix holds, or
        what a pattern (``*``, ``**``, ``?``, ``[...]``) matches."""
        fs, path = self._filesystem(url)
        if has_magic(path):
            yield from self._matching(url, fs, path)
            return
        info = fs.info(path)
        if info.get("type") != "directory":
            yield Listed(url.text, None, info.get("size"))
            return
        yield from _walk(url.text, fs, path.rstrip("/"), None)

    def _matching(self, url: Url, fs: Any, path: str) -> Iterator[Listed]:
        fixed, rest = fixed_part(path)
        prefix, _ = fixed_part(url.text)  # the same folders, as the user spelled them
        depth = None if "**" in rest else rest.count("/") + 1
        for listed in _walk(prefix, fs, fixed, depth):
            assert listed.below is not None
            if matches_path(rest, listed.below):
                yield listed

    def exists(self, url: Url) -> bool:
        fs, path = self._filesystem(url)
        return bool(fs.exists(path))

    def download(self, url: Url, destination: Path) -> None:
        """Copy the whole object to ``destination`` (a new local file), a
        part at a time; a transfer that stalls raises ``TimeoutError``."""
        fs, path = self._filesystem(url)
        pace = Pace(self.timeout)  # the same progress bound as over HTTP
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

    def upload(self, source: Path, url: Url, *, replace: bool) -> None:
        """Write the local file ``source`` to ``url`` as a whole.

        Without ``replace``, a conditional create: ``FileExistsError`` if an
        object is there, also one that appeared a moment ago where the store
        can check at write time (S3 ``If-None-Match``; elsewhere fsspec
        checks just before writing).
        """
        fs, path = self._filesystem(url)
        s3 = hasattr(fs, "call_s3")
        if url.text.endswith("/") or (s3 and "/" not in path.strip("/")):
            raise IsADirectoryError(
                f"{url.text} names a bucket or a prefix, not an object"
            )
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


def _walk(prefix: str, fs: Any, top: str, depth: int | None) -> Iterator[Listed]:
    """The files below ``top``, a level at a time, sorted within each level,
    named under ``prefix`` (the URL of ``top`` as the user spelled it),
    at most ``depth`` levels down."""
    options = {} if depth is None else {"maxdepth": depth}
    base = top.rstrip("/")
    for folder, folders, files in fs.walk(top, detail=True, **options):
        in_order = dict(sorted(folders.items()))  # walked in this order, after
        folders.clear()
        folders.update(in_order)
        for name in sorted(files):
            details = files[name]
            if details.get("type") == "directory":
                continue
            found = f"{folder.rstrip('/')}/{name}"
            below = found[len(base) :].lstrip("/") if found.startswith(base) else name
            yield Listed(_as_given(prefix, base, found, fs), below, details.get("size"))


def _as_given(prefix: str, base: str, found: str, fs: Any) -> str:
    """The URL of ``found`` (under ``base``), spelled the way the user
    spelled the prefix (``memory://a/`` rather than ``memory:///a/``)."""
    start = base + "/" if base else ""
    if found.startswith(start):
        return prefix.rstrip("/") + "/" + found[len(start) :]
    return str(fs.unstrip_protocol(found))


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
