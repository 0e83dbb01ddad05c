"""Read the model config out of a ``.keras`` archive, safely, without Keras.

A ``.keras`` file is a zip archive whose ``config.json`` holds the model's
config; the weights sit beside it in ``model.weights.h5``. The file tools
read only the central directory and ``config.json``, so their cost does
not grow with the weights, and they treat every file as hostile: a broken
or truncated zip, duplicate or escaping member names, a ``config.json``
over the size limit (a zip bomb) or nested too deeply, a device or a FIFO
are refused with one line, through :class:`UnreadableModel`.

Everything is read through one descriptor opened at the start
(:class:`ModelSource`), so the bytes examined, copied and backed up are
those of one file, even if the path is replaced meanwhile; ``repair``
compares the descriptor's identity with the path's before it publishes.
A remote object is read the same way through a stream of ranged reads
(``files/remote_source.py``): the code that judges a local file judges it.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Protocol

CONFIG_MEMBER = "config.json"
# Real configs are kilobytes to a few megabytes; EfficientNetB7's is 0.6 MB.
DEFAULT_MAX_CONFIG_BYTES = 16 * 1024 * 1024
# Containers inside containers; a deep Keras model needs a few dozen. json
# parses up to about 990 (Python's recursion limit); the walk refuses more
# than this, so json.dumps of a repaired config never meets that limit.
MAX_NESTING = 400
# Real configs hold one object or list per ~50 bytes (EfficientNetB7: 15,481
# in 733 KiB); a config of nothing but "[]," would hold one per 3.
BYTES_PER_CONTAINER = 16
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
END_OF_ARCHIVE = b"PK\x05\x06"
ZIP_MEMBER_SIGNATURE = b"PK\x03\x04"
END_OF_ARCHIVE_SIZE = 22


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


@dataclass(frozen=True)
class Identity:
    """What tells one file from another, and a changed file from itself."""

    device: int
    inode: int
    size: int
    modified_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> Identity:
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


class Readable(Protocol):
    """What :func:`read_model` reads from: a seekable stream of known size.

    ``prefetch(start, end)`` (optional) is told which bytes come next, so a
    remote stream fetches them in one request. ``mappable``: the stream's
    descriptor, where the whole file may be memory-mapped (local files).
    """

    @property
    def stream(self) -> IO[bytes]: ...

    @property
    def size(self) -> int: ...

    @property
    def mappable(self) -> int | None: ...


class ModelSource:
    """A model file opened once for reading; everything is read through it."""

    def __init__(self, path: os.PathLike[str] | str, stream: IO[bytes]) -> None:
        self.path = path
        self.stream = stream
        self.status = os.fstat(stream.fileno())
        self.identity = Identity.of(self.status)

    @property
    def descriptor(self) -> int:
        return self.stream.fileno()

    @property
    def size(self) -> int:
        return self.status.st_size

    @property
    def mappable(self) -> int | None:
        return self.descriptor

    def unchanged(self) -> bool:
        """The open file still has the size and time it had when opened."""
        return Identity.of(os.fstat(self.descriptor)) == self.identity

    def still_at_path(self) -> bool:
        """The path still names this very file, unchanged."""
        try:
            return Identity.of(os.stat(self.path)) == self.identity
        except OSError:
            return False


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


@contextmanager
def open_source(
    path: os.PathLike[str] | str, *, follow_symlinks: bool = True
) -> Iterator[ModelSource]:
    """Open ``path`` for reading, refusing anything but a regular file.

    ``follow_symlinks=False`` refuses a symbolic link (where the file will
    be written to, a link would be replaced by a regular file). FIFOs and
    devices are opened without blocking and refused.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableModel("no such file") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnreadableModel(
                "is a symbolic link; pass the file it points to"
            ) from None
        raise UnreadableModel(f"cannot read it ({_reason(error)})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableModel("is a folder, not a model file")
        if not stat.S_ISREG(mode):
            raise UnreadableModel("is not a regular file")
        if not follow_symlinks and os.path.islink(path):
            raise UnreadableModel("is a symbolic link; pass the file it points to")
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as stream:
        yield ModelSource(path, stream)


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


def _check_containers(text: bytes, where: str, max_config_bytes: int) -> None:
    containers = text.count(b"{") + text.count(b"[")
    if containers > max_config_bytes // BYTES_PER_CONTAINER:
        raise UnreadableModel(
            f"{where} holds {containers} objects and lists, over the limit of "
            f"{max_config_bytes // BYTES_PER_CONTAINER} (one per "
            f"{BYTES_PER_CONTAINER} bytes of --max-config-mib)"
        )


def parse_config(text: bytes, where: str, max_config_bytes: int) -> dict[str, Any]:
    """Parse a model config, refusing what is not one or costs too much.

    Parsing memory and the walk's time grow with the number of objects and
    lists more than with bytes, so that is bounded too, before parsing, at
    one per ``BYTES_PER_CONTAINER`` bytes of the limit (a real config has
    one per 50 bytes or so); brackets inside strings count as well.
    """
    _check_containers(text, where, max_config_bytes)
    try:
        config = json.loads(text)
    except RecursionError:
        raise UnreadableModel(
            f"{where} nests deeper than {MAX_NESTING} levels; not a model config"
        ) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise UnreadableModel(f"{where} is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise UnreadableModel(f"{where} does not hold a JSON object")
    return config  # its nesting is bounded by the walk (_config_scan)


@dataclass(frozen=True)
class ModelArchive:
    """What the file tools need of a ``.keras`` archive: its directory and config."""

    members: tuple[zipfile.ZipInfo, ...]  # in central-directory order
    config: dict[str, Any]
    central_directory_offset: int
    comment: bytes
    end: int  # where the end-of-archive record and its comment end
    size: int  # of the whole file: bytes from ``end`` on trail the archive


@dataclass(frozen=True)
class ModelFile:
    """A model file: a ``.keras`` archive, a bare ``to_json()`` config, or a
    legacy HDF5 model (its config found in the file, read only)."""

    config: dict[str, Any]
    archive: ModelArchive | None  # None for a JSON or HDF5 file
    legacy_hdf5: bool = False
    mapped_bytes: int = 0  # of a local HDF5 file, searched through a memory map


def _too_big(what: str, size: int, limit: int) -> UnreadableModel:
    return UnreadableModel(
        f"{what} is {size} bytes, over the limit of {limit} "
        "(raise it with --max-config-mib)"
    )


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


def _prefetch(source: Readable, info: zipfile.ZipInfo) -> None:
    """Tell a remote stream which bytes opening ``info`` will read: its local
    header, name, extra field (assumed no longer than in the directory, plus
    some slack) and data, in one request."""
    prefetch = getattr(source.stream, "prefetch", None)
    if prefetch is not None:
        header = 30 + len(info.orig_filename.encode("utf-8")) + len(info.extra)
        start = info.header_offset
        prefetch(start, start + header + LOCAL_EXTRA_SLACK + info.compress_size)


# A local header's extra field may differ from the directory's; this much
# more is fetched with a remote config.json so one request usually does.
LOCAL_EXTRA_SLACK = 256


def _check_claimed_sizes(info: zipfile.ZipInfo, max_config_bytes: int) -> None:
    if info.file_size > max_config_bytes:
        raise _too_big(CONFIG_MEMBER, info.file_size, max_config_bytes)
    # Deflate never grows data by more than a few bytes per 16 KiB block: a
    # larger compressed size is a lie, and reading it would read it all.
    if info.compress_size > info.file_size + info.file_size // 100 + 1024:
        raise UnreadableModel(
            f"the archive claims {info.compress_size} compressed bytes for a "
            f"{CONFIG_MEMBER} of {info.file_size} bytes; not a Keras archive"
        )


def _read_archive(source: Readable, max_config_bytes: int) -> ModelArchive:
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
            _prefetch(source, info)
            with archive.open(info) as member:
                # Never trust the declared size: read at most one byte more.
                text = member.read(max_config_bytes + 1)
            if len(text) > max_config_bytes:
                raise _too_big(CONFIG_MEMBER, len(text), max_config_bytes)
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
        central_directory_offset=start_dir,
        comment=comment,
        end=end,
        size=source.size,
    )


# Keras's legacy HDF5 format keeps the model config as a JSON string
# attribute ("model_config"); h5py stores it as one contiguous run of bytes,
# near the start of the file, before the weights.
HDF5_CONFIG_START = b'{"class_name": '
HDF5_CANDIDATES = 64
# A candidate is parsed from this many bytes first, four times more each
# time the text runs past the end, up to --max-config-mib: a config is
# usually kilobytes, and the weights after it are never copied for nothing.
HDF5_FIRST_WINDOW = 64 * 1024
# A remote .h5 file is read from its start, this much first, then twice as
# much each time the config is not found, up to --max-read-mib.
HDF5_FIRST_READ = 256 * 1024


def _runs_past_the_end(error: ValueError, text: str) -> bool:
    """Whether JSON parsing failed because the text was cut short."""
    if not isinstance(error, json.JSONDecodeError):
        return False
    return error.pos >= len(text) - 1 or error.msg.startswith("Unterminated")


def _parse_candidate(data: Any, start: int, max_config_bytes: int) -> tuple[Any, int]:
    """The JSON value at ``data[start:]`` (None where there is none within
    ``max_config_bytes``), and where the bytes looked at end."""
    limit = min(len(data), start + max_config_bytes)
    window = HDF5_FIRST_WINDOW
    while True:
        end = min(limit, start + window)
        chunk = data[start:end]
        _check_containers(chunk, "the HDF5 model config", max_config_bytes)
        text = chunk.decode("utf-8", "replace")
        try:
            return json.JSONDecoder().raw_decode(text)[0], end
        except RecursionError:
            return None, end
        except ValueError as error:
            if end >= limit or not _runs_past_the_end(error, text):
                return None, end
        window *= 4


def _find_hdf5_config(
    data: Any, max_config_bytes: int
) -> tuple[dict[str, Any] | None, int]:
    """The first JSON object in ``data`` that starts like Keras's model config
    and has a ``layers`` list (reading stops at the size limit), and how far
    into ``data`` the search looked."""
    start = data.find(HDF5_CONFIG_START)
    looked = len(data)
    for _ in range(HDF5_CANDIDATES):
        if start < 0:
            break
        config, end = _parse_candidate(data, start, max_config_bytes)
        inner = config.get("config") if isinstance(config, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
            return dict(config), end
        start = data.find(HDF5_CONFIG_START, start + 1)
    return None, looked


def _read_hdf5_config(
    source: Readable, max_config_bytes: int, max_read_bytes: int
) -> tuple[dict[str, Any], int]:
    """The model config of a legacy ``.h5`` model, without h5py, and the
    bytes of a memory map looked at.

    A local file is searched whole (memory-mapped: only the pages looked at
    are read); a remote one from its start, in growing reads, up to
    ``max_read_bytes``.
    """
    import mmap

    if source.size == 0:
        raise UnreadableModel("is an empty HDF5 file")
    descriptor = source.mappable
    mapped = 0
    config: dict[str, Any] | None = None
    if descriptor is not None:
        with mmap.mmap(descriptor, 0, access=mmap.ACCESS_READ) as data:
            config, mapped = _find_hdf5_config(data, max_config_bytes)
    else:
        source.stream.seek(0)
        head = b""
        wanted = min(HDF5_FIRST_READ, max_read_bytes)
        while True:
            head += source.stream.read(wanted - len(head))
            config, _ = _find_hdf5_config(head, max_config_bytes)
            if config is not None or len(head) < wanted or wanted >= max_read_bytes:
                break
            wanted = min(2 * wanted, max_read_bytes)
        if config is None and source.size > len(head):
            raise UnreadableModel(
                "is a legacy HDF5 (.h5) file whose model config is not in its "
                f"first {max_read_bytes} bytes; not read further (raise "
                "--max-read-mib to read more)"
            )
    if config is None:
        raise UnreadableModel(
            "is a legacy HDF5 (.h5) file, but no Keras model config was found "
            f"in it (within {max_config_bytes} bytes of where one starts)"
        )
    return config, mapped


# A remote legacy .h5 file is read up to this much (--max-read-mib).
DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024


def read_model(
    source: Readable,
    max_config_bytes: int = DEFAULT_MAX_CONFIG_BYTES,
    max_read_bytes: int = DEFAULT_MAX_READ_BYTES,
) -> ModelFile:
    """A ``.keras`` archive, a ``to_json()`` file or a legacy ``.h5`` model.

    ``max_read_bytes`` bounds how much of a remote legacy ``.h5`` is read.
    """
    stream = source.stream
    try:
        # The end first: for a remote archive, that read brings the end
        # record and the directory in one request (the weights come first
        # in a file, the directory last).
        if _ends_like_a_zip(source):
            stream.seek(0)
            archive = _read_archive(source, max_config_bytes)
            return ModelFile(archive.config, archive)
        stream.seek(0)
        head = stream.read(len(HDF5_SIGNATURE))
        stream.seek(0)
        if head == HDF5_SIGNATURE:
            config, mapped = _read_hdf5_config(source, max_config_bytes, max_read_bytes)
            return ModelFile(config, None, legacy_hdf5=True, mapped_bytes=mapped)
        _refuse_what_is_no_json(head, whole=False)  # before reading to the limit
        text = stream.read(max_config_bytes + 1)
    except FileNotFoundError:  # a remote object deleted while it was read
        raise UnreadableModel("no longer exists (deleted while it was read)") from None
    except OSError as error:
        raise UnreadableModel(f"cannot read it ({_reason(error)})") from None
    if len(text) > max_config_bytes:
        raise _too_big("the file", source.size, max_config_bytes)
    _refuse_what_is_no_json(text, whole=True)
    return ModelFile(parse_config(text, "the file", max_config_bytes), None)


def _refuse_what_is_no_json(start: bytes, *, whole: bool) -> None:
    """Refuse a file whose first bytes (or ``whole`` text) show it is neither
    an archive (the end was looked at already) nor a model JSON file; a
    truncated archive is named as such, whatever its size."""
    if start.startswith(ZIP_MEMBER_SIGNATURE):
        raise UnreadableModel(
            "a damaged or truncated zip archive (its end-of-archive record is missing)"
        )
    if start.lstrip()[:1] not in ((b"{",) if whole else (b"", b"{")):
        raise UnreadableModel("not a Keras archive (no zip) nor a model JSON file")


def _ends_like_a_zip(source: Readable) -> bool:
    """Whether the file is a zip archive (what ``zipfile.is_zipfile`` asks,
    but it gives up quietly on read errors, which a remote read can have)."""
    if source.size < END_OF_ARCHIVE_SIZE:
        return False
    stream = source.stream
    stream.seek(source.size - END_OF_ARCHIVE_SIZE)
    if stream.read(4) == END_OF_ARCHIVE:
        return True
    return zipfile.is_zipfile(stream)  # an archive comment: let zipfile look


def read_model_config(
    path: os.PathLike[str] | str, max_config_bytes: int = DEFAULT_MAX_CONFIG_BYTES
) -> dict[str, Any]:
    """The model config of a ``.keras`` archive or a ``to_json()`` file."""
    with open_source(path) as source:
        return read_model(source, max_config_bytes).config
