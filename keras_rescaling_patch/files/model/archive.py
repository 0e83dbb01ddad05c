"""A ``.keras`` archive: its directory and its ``config.json``, nothing more.

A ``.keras`` file is a zip archive whose ``config.json`` holds the model's
config; the weights sit beside it in ``model.weights.h5``. Only the central
directory and ``config.json`` are read, so the cost does not grow with the
weights, and every archive is treated as hostile: a broken or truncated
zip, duplicate or escaping member names, members said to lie outside the
archive, a ``config.json`` over the size limit (a zip bomb) or whose
compressed size lies are refused with one line.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Any

from keras_rescaling_patch.files.model.json_config import parse_config, too_big
from keras_rescaling_patch.files.model.source import Readable, UnreadableModel

CONFIG_MEMBER = "config.json"
METADATA_MEMBER = "metadata.json"
# metadata.json holds a version and a date; anything larger is not Keras's.
MAX_METADATA_BYTES = 64 * 1024
END_OF_ARCHIVE = b"PK\x05\x06"
ZIP_MEMBER_SIGNATURE = b"PK\x03\x04"
END_OF_ARCHIVE_SIZE = 22
# A local header's extra field may differ from the directory's; this much
# more is fetched with a remote config.json so one request usually does.
LOCAL_EXTRA_SLACK = 256


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


@dataclass(frozen=True)
class ModelArchive:
    """What the file tools need of a ``.keras`` archive: its directory and config."""

    members: tuple[zipfile.ZipInfo, ...]  # in central-directory order
    config: dict[str, Any]
    saved_by: str | None  # metadata.json's keras_version, where it says one
    central_directory_offset: int
    comment: bytes
    end: int  # where the end-of-archive record and its comment end
    size: int  # of the whole file: bytes from ``end`` on trail the archive


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


def ends_like_a_zip(source: Readable) -> bool:
    """Whether the file is a zip archive (what ``zipfile.is_zipfile`` asks,
    but it gives up quietly on read errors, which a remote read can have)."""
    if source.size < END_OF_ARCHIVE_SIZE:
        return False
    stream = source.stream
    stream.seek(source.size - END_OF_ARCHIVE_SIZE)
    if stream.read(4) == END_OF_ARCHIVE:
        return True
    return zipfile.is_zipfile(stream)  # an archive comment: let zipfile look


def _archive_end(stream: IO[bytes], comment: bytes, size: int) -> int:
    """Where the end-of-archive record (with its comment) ends.

    zipfile finds the record as the last signature in the final 64 KiB and
    tolerates bytes after it (a trailing signature block, say): those are
    kept by ``repair``, so their start must be known.
    """
    window = min(size, END_OF_ARCHIVE_SIZE + 0xFFFF + len(comment) + 1024)
    stream.seek(size - window)
    tail = stream.read(window)
    start = tail.rfind(END_OF_ARCHIVE)
    if start < 0:
        raise UnreadableModel("not a Keras archive (no end-of-archive record)")
    return size - window + start + END_OF_ARCHIVE_SIZE + len(comment)


# A metadata.json that cannot be read decides nothing: Keras never reads it.
METADATA_ERRORS: tuple[type[BaseException], ...] = (
    *CORRUPT_ARCHIVE_ERRORS,
    zipfile.BadZipFile,
    RecursionError,
)


def _span(info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where opening ``info`` reads: its local header, name, extra field
    (assumed no longer than in the directory, plus some slack) and data."""
    header = 30 + len(info.orig_filename.encode("utf-8")) + len(info.extra)
    start = info.header_offset
    return start, start + header + LOCAL_EXTRA_SLACK + info.compress_size


def _prefetch(source: Readable, *infos: zipfile.ZipInfo) -> None:
    """Tell a remote stream which bytes opening ``infos`` will read, in one
    request (Keras writes metadata.json just before config.json)."""
    prefetch = getattr(source.stream, "prefetch", None)
    if prefetch is not None:
        spans = [_span(info) for info in infos]
        prefetch(min(s for s, _ in spans), max(e for _, e in spans))


def _nearby_metadata(
    infos: list[zipfile.ZipInfo], config: zipfile.ZipInfo
) -> zipfile.ZipInfo | None:
    """metadata.json, if it is small and lies next to config.json (as Keras
    writes them): reading it then costs no request of its own."""
    found = next((i for i in infos if i.filename == METADATA_MEMBER), None)
    if found is None or found.compress_size > MAX_METADATA_BYTES:
        return None
    if found.file_size > MAX_METADATA_BYTES:
        return None
    first, last = sorted((_span(found), _span(config)))
    return found if last[0] - first[1] <= LOCAL_EXTRA_SLACK else None


def _saved_by(
    archive: zipfile.ZipFile, source: Readable, info: zipfile.ZipInfo | None
) -> str | None:
    """The Keras version metadata.json names; ``None`` where it names none
    (Keras never reads the file when loading: a damaged one decides nothing)."""
    if info is None:
        return None
    try:
        if info.compress_type == zipfile.ZIP_STORED:  # as Keras writes it: read
            data = _stored(source, info)  # it directly, without zipfile's setup
        else:
            with archive.open(info) as member:
                data = member.read(MAX_METADATA_BYTES + 1)
        metadata = json.loads(data)
    except METADATA_ERRORS:
        return None
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return version if isinstance(version, str) and len(version) < 64 else None


def _stored(source: Readable, info: zipfile.ZipInfo) -> bytes:
    """A stored (uncompressed) member's bytes, by its local header: of a
    local file in one system call (it is a few dozen bytes)."""
    span = 30 + len(info.orig_filename) + len(info.extra) + info.file_size
    pread = getattr(os, "pread", None)  # Windows has none
    if source.mappable is not None and pread is not None:
        chunk = pread(source.mappable, span + LOCAL_EXTRA_SLACK, info.header_offset)
    else:
        source.stream.seek(info.header_offset)
        chunk = source.stream.read(span + LOCAL_EXTRA_SLACK)
    if len(chunk) < 30 or not chunk.startswith(ZIP_MEMBER_SIGNATURE):
        raise ValueError("no member header there")
    start = 30 + int.from_bytes(chunk[26:28], "little")
    start += int.from_bytes(chunk[28:30], "little")
    data = bytes(chunk[start : start + info.file_size])
    if zlib.crc32(data) != info.CRC:
        raise ValueError("metadata.json does not match its checksum")
    return data


def _check_claimed_sizes(info: zipfile.ZipInfo, max_config_bytes: int) -> None:
    if info.file_size > max_config_bytes:
        raise too_big(CONFIG_MEMBER, info.file_size, max_config_bytes)
    # Deflate never grows data by more than a few bytes per 16 KiB block: a
    # larger compressed size is a lie, and reading it would read it all.
    if info.compress_size > info.file_size + info.file_size // 100 + 1024:
        raise UnreadableModel(
            f"the archive claims {info.compress_size} compressed bytes for a "
            f"{CONFIG_MEMBER} of {info.file_size} bytes; not a Keras archive"
        )


def read_archive(source: Readable, max_config_bytes: int) -> ModelArchive:
    """The directory and parsed ``config.json`` of a ``.keras`` archive."""
    stream = source.stream
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            check_member_names([info.filename for info in infos])
            info = next((i for i in infos if i.filename == CONFIG_MEMBER), None)
            if info is None:
                raise UnreadableModel(f"the archive has no {CONFIG_MEMBER}")
            _check_claimed_sizes(info, max_config_bytes)
            metadata = _nearby_metadata(infos, info)
            _prefetch(source, info, *([metadata] if metadata else []))
            # metadata.json first: Keras writes it just before config.json,
            # so one buffered read of a local file brings both.
            saved_by = _saved_by(archive, source, metadata)
            with archive.open(info) as member:
                # Never trust the declared size: read at most one byte more.
                text = member.read(max_config_bytes + 1)
            if len(text) > max_config_bytes:
                raise too_big(CONFIG_MEMBER, len(text), max_config_bytes)
            start_dir, comment = archive.start_dir, archive.comment
        end = _archive_end(stream, comment, source.size)
    except zipfile.BadZipFile as error:
        raise UnreadableModel(f"not a Keras archive (broken zip: {error})") from None
    except CORRUPT_ARCHIVE_ERRORS as error:
        raise UnreadableModel(f"the archive cannot be read ({error})") from None
    for entry in infos:
        if not 0 <= entry.header_offset < start_dir:
            raise UnreadableModel(
                f"the archive cannot be read (member {entry.filename!r} is "
                f"said to start at {entry.header_offset}, outside the archive)"
            )
    return ModelArchive(
        members=tuple(infos),
        config=parse_config(text, CONFIG_MEMBER, max_config_bytes),
        saved_by=saved_by,
        central_directory_offset=start_dir,
        comment=comment,
        end=end,
        size=source.size,
    )
