"""Read the model config out of a ``.keras`` archive, safely, without Keras.

A ``.keras`` file is a zip archive whose ``config.json`` holds the model's
config; the weights sit beside it in ``model.weights.h5``. The file tools
read only the central directory and ``config.json``, so their cost does
not grow with the weights, and they treat every archive as hostile: a
symlink, a broken or truncated zip, duplicate or escaping member names and
an oversized ``config.json`` (a zip bomb) are refused with one line.
"""

from __future__ import annotations

import json
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_MEMBER = "config.json"
# Real configs are kilobytes to a few megabytes; anything near this is not one.
MAX_CONFIG_BYTES = 64 * 1024 * 1024


def _decompression_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [zlib.error]
    try:
        import lzma  # zipfile supports LZMA members only where this imports
    except ImportError:
        return tuple(errors)
    return (*errors, lzma.LZMAError)


# What zipfile and its decompressors raise on damaged data (bz2 raises OSError).
CORRUPT_ARCHIVE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    *_decompression_errors(),
)


class UnreadableModel(Exception):
    """The file is not a model this tool can read; the message says why."""


def check_regular_file(path: Path) -> None:
    """Refuse anything but a regular file: symlinks, folders, devices."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        raise UnreadableModel("no such file") from None
    except OSError as error:
        raise UnreadableModel(f"cannot read it ({error.strerror})") from None
    if stat.S_ISLNK(mode):
        raise UnreadableModel("is a symbolic link; pass the file it points to")
    if not stat.S_ISREG(mode):
        raise UnreadableModel("is not a regular file")


def check_member_names(names: list[str]) -> None:
    """Refuse duplicate, absolute and escaping member names."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UnreadableModel(f"the archive holds {name!r} twice")
        seen.add(name)
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise UnreadableModel(f"the archive holds an unsafe member name {name!r}")


def _parse(text: bytes, where: str) -> dict[str, Any]:
    try:
        config = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise UnreadableModel(f"{where} is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise UnreadableModel(f"{where} does not hold a JSON object")
    return config


@dataclass(frozen=True)
class ModelArchive:
    """What the file tools need of a ``.keras`` archive: its directory and config."""

    members: tuple[zipfile.ZipInfo, ...]  # in central-directory order
    config: dict[str, Any]
    central_directory_offset: int
    comment: bytes


@dataclass(frozen=True)
class ModelFile:
    """A model file: a ``.keras`` archive, or a bare ``to_json()`` config."""

    config: dict[str, Any]
    archive: ModelArchive | None  # None for a JSON file


def _read_archive(path: Path) -> ModelArchive:
    """The directory and parsed ``config.json`` of a ``.keras`` archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            check_member_names([info.filename for info in infos])
            info = next((i for i in infos if i.filename == CONFIG_MEMBER), None)
            if info is None:
                raise UnreadableModel(f"the archive has no {CONFIG_MEMBER}")
            if info.file_size > MAX_CONFIG_BYTES:
                raise UnreadableModel(
                    f"{CONFIG_MEMBER} claims {info.file_size} bytes "
                    f"(limit {MAX_CONFIG_BYTES})"
                )
            with archive.open(info) as stream:
                # Never trust the declared size: read at most one byte more.
                text = stream.read(MAX_CONFIG_BYTES + 1)
            if len(text) > MAX_CONFIG_BYTES:
                raise UnreadableModel(
                    f"{CONFIG_MEMBER} is larger than {MAX_CONFIG_BYTES} bytes"
                )
            start_dir, comment = archive.start_dir, archive.comment
    except zipfile.BadZipFile as error:
        raise UnreadableModel(f"not a Keras archive (broken zip: {error})") from None
    except CORRUPT_ARCHIVE_ERRORS as error:
        raise UnreadableModel(f"the archive cannot be read ({error})") from None
    return ModelArchive(
        members=tuple(infos),
        config=_parse(text, CONFIG_MEMBER),
        central_directory_offset=start_dir,
        comment=comment,
    )


def read_model(path: Path) -> ModelFile:
    """A ``.keras`` archive or a ``to_json()`` file, checked and parsed."""
    check_regular_file(path)
    if zipfile.is_zipfile(path):
        archive = _read_archive(path)
        return ModelFile(archive.config, archive)
    with path.open("rb") as stream:
        head = stream.read(MAX_CONFIG_BYTES + 1)
    if len(head) > MAX_CONFIG_BYTES:
        raise UnreadableModel(
            f"larger than {MAX_CONFIG_BYTES} bytes and not a zip archive"
        )
    if not head.lstrip()[:1] == b"{":
        raise UnreadableModel("not a Keras archive (no zip) nor a model JSON file")
    return ModelFile(_parse(head, "the file"), None)


def read_model_config(path: Path) -> dict[str, Any]:
    """The model config of a ``.keras`` archive or a ``to_json()`` file."""
    return read_model(path).config
