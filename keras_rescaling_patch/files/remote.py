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

from keras_rescaling_patch.files.http_object import HttpObject

REMOTE_EXTRA = "keras-rescaling-patch[remote]"
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
WEB_SCHEMES = frozenset({"http", "https"})
# What each scheme's fsspec implementation is installed as, where it is not
# simply the first part of its module's name.
PACKAGES = {"hf": "huggingface_hub", "abfs": "adlfs", "az": "adlfs", "gs": "gcsfs"}


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
        raise RemoteUnavailable(
            f"reading {scheme}:// URLs needs fsspec: pip install '{REMOTE_EXTRA}'"
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


@dataclass(frozen=True)
class Listed:
    """A file a URL names (``walked`` False), or one found under a prefix or
    by a pattern (``walked`` True: only model files are taken from those)."""

    url: str
    walked: bool
    size: int | None = None  # when the listing said it


def list_files(url: str, timeout: float) -> Iterator[Listed]:
    """The files ``url`` stands for: itself, what a prefix holds, or what a
    pattern (``*``, ``**``, ``?``, ``[...]``) matches, in sorted order."""
    if scheme_of(url) in WEB_SCHEMES:
        yield Listed(url, walked=False)
        return
    fs, path = filesystem(url, timeout)
    if any(character in path for character in "*?["):
        for found, details in sorted(fs.glob(path, detail=True).items()):
            if details.get("type") != "directory":
                yield Listed(fs.unstrip_protocol(found), True, details.get("size"))
        return
    info = fs.info(path)
    if info.get("type") != "directory":
        yield Listed(url, walked=False, size=info.get("size"))
        return
    for found, details in sorted(fs.find(path, detail=True).items()):
        if details.get("type") != "directory":
            yield Listed(_as_given(url, path, found, fs), True, details.get("size"))


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


def download(url: str, destination: Path, timeout: float) -> None:
    """Copy the whole file at ``url`` to ``destination`` (a new local file)."""
    if scheme_of(url) in WEB_SCHEMES:
        HttpObject(url, timeout).download(destination)
        return
    fs, path = filesystem(url, timeout)
    fs.get_file(path, str(destination))


def upload(source: Path, url: str, timeout: float, *, replace: bool) -> None:
    """Write the local file ``source`` to ``url`` as a whole.

    Without ``replace``, a conditional create: ``FileExistsError`` if an
    object is there, also one that appeared a moment ago where the store
    can check at write time (S3 ``If-None-Match``; elsewhere fsspec checks
    just before writing).
    """
    _web_only(url, "write to")
    fs, path = filesystem(url, timeout)
    fs.put_file(str(source), path, mode="overwrite" if replace else "create")
