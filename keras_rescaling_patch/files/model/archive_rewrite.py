"""Write a copy of a ``.keras`` archive with a new ``config.json``, streaming.

A ``.keras`` file can hold gigabytes of weights, and ``repair`` only needs
to change its config. So every other member is copied as raw bytes, its
local header, compressed data and any data descriptor exactly as they
are, without decompressing or even checksumming it, and the kernel does
the copying where it can (``os.copy_file_range``). Only the central
directory is written anew, because the offsets after ``config.json``
move; it keeps each member's names, attributes, timestamps and order.

The source is treated as hostile: every member's local header must agree
with the central directory, and members may neither overlap nor run past
the central directory, or the archive is refused before anything is
written. Bytes after the end-of-archive record are copied after the new
one.
"""

from __future__ import annotations

import errno
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from keras_rescaling_patch._atomic import write_all
from keras_rescaling_patch.files.model.archive import (
    END_OF_ARCHIVE,
    ZIP_MEMBER_SIGNATURE,
    ModelArchive,
)
from keras_rescaling_patch.files.model.source import UnreadableModel

LOCAL_HEADER = struct.Struct("<4s5H3L2H")
CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
END_OF_CENTRAL_DIRECTORY = struct.Struct("<4s4H2LH")
ZIP64_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4sQ2H2L4Q")
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_EXTRA_ID = 0x0001
UTF8_NAMES = 0x800
# A 32-bit field holding this value means "see the zip64 record": sizes and
# offsets from this value on are written there.
ZIP64_MARKER = 0xFFFFFFFF
ZIP64_COUNT_MARKER = 0xFFFF
ZIP64_VERSION = 45
DEFAULT_VERSION = 20
CHUNK_BYTES = 64 * 1024 * 1024  # per kernel copy call
PAGE_BYTES = 4096
ALIGNMENT_EXTRA_ID = 0xD935
BUFFER_BYTES = 1024 * 1024  # per read when the kernel cannot copy
# copy_file_range cannot work between these files; fall back to read/write.
NO_KERNEL_COPY = frozenset(
    {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}
)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class _Region:
    """A member's bytes in the source: local header through its data."""

    member: zipfile.ZipInfo
    start: int
    end: int  # where the next member (or the central directory) begins


def _read_at(descriptor: int, length: int, offset: int) -> bytes:
    """``os.pread``, or a seek and a read where there is none (Windows)."""
    if hasattr(os, "pread"):
        return os.pread(descriptor, length, offset)
    os.lseek(descriptor, offset, os.SEEK_SET)
    return os.read(descriptor, length)


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    encoding = "utf-8" if info.flag_bits & UTF8_NAMES else "cp437"
    return info.orig_filename.encode(encoding)


def _regions(source: int, archive: ModelArchive) -> tuple[int, list[_Region]]:
    """Where each member lies, checked against its local header.

    Returns the size of any data before the first member, and the members
    in the order they are stored.
    """
    stored = sorted(archive.members, key=lambda info: info.header_offset)
    ends = [info.header_offset for info in stored[1:]]
    ends.append(archive.central_directory_offset)
    regions = []
    for info, end in zip(stored, ends, strict=True):
        header = _read_at(source, LOCAL_HEADER.size, info.header_offset)
        if len(header) < LOCAL_HEADER.size:
            raise UnreadableModel(f"the archive is truncated at {info.filename!r}")
        fields = LOCAL_HEADER.unpack(header)
        signature, name_length, extra_length = fields[0], fields[9], fields[10]
        name = _read_at(source, name_length, info.header_offset + LOCAL_HEADER.size)
        if signature != ZIP_MEMBER_SIGNATURE or name != _raw_name(info):
            raise UnreadableModel(
                f"the local header of {info.filename!r} does not match the "
                "archive's directory"
            )
        data_end = (
            info.header_offset
            + LOCAL_HEADER.size
            + name_length
            + extra_length
            + info.compress_size
        )
        if data_end > end:
            raise UnreadableModel(
                f"member {info.filename!r} overlaps the next one or the directory"
            )
        regions.append(_Region(info, info.header_offset, end))
    prefix = stored[0].header_offset if stored else archive.central_directory_offset
    return prefix, regions


class Writer:
    """Appends bytes and source ranges to the output, counting its size."""

    def __init__(
        self,
        source: int,
        target: int,
        progress: Progress = lambda copied: None,
        *,
        early_writeback: bool = False,
    ) -> None:
        self.source = source
        self.target = target
        self.progress = progress
        self.position = 0
        self.kernel_copy = hasattr(os, "copy_file_range")
        # Only worth it when the caller will fsync the output anyway.
        self.early_writeback = early_writeback and hasattr(os, "posix_fadvise")

    def write(self, data: bytes) -> None:
        write_all(self.target, data)
        self.position += len(data)

    def copy(self, start: int, length: int) -> None:
        """Copy ``length`` source bytes from ``start`` to the output."""
        done = 0
        while done < length:
            copied = self._copy_chunk(start + done, length - done)
            if copied == 0:
                raise UnreadableModel("the archive is truncated")
            done += copied
            self._start_writeback(self.position, copied)
            self.position += copied
            self.progress(copied)

    def _start_writeback(self, offset: int, length: int) -> None:
        """Ask the kernel to start writing this range to disk now.

        On Linux, DONTNEED on dirty pages starts their writeback without
        waiting, so the final fsync finds most of the file already on disk.
        """
        if self.early_writeback:
            os.posix_fadvise(self.target, offset, length, os.POSIX_FADV_DONTNEED)

    def _copy_chunk(self, offset: int, length: int) -> int:
        if self.kernel_copy:
            try:
                return os.copy_file_range(
                    self.source, self.target, min(length, CHUNK_BYTES), offset
                )
            except OSError as error:
                if error.errno not in NO_KERNEL_COPY:
                    raise
                self.kernel_copy = False
        data = _read_at(self.source, min(length, BUFFER_BYTES), offset)
        write_all(self.target, data)
        return len(data)


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    year, month, day, hour, minute, second = info.date_time
    return (
        hour << 11 | minute << 5 | second // 2,
        (year - 1980) << 9 | month << 5 | day,
    )


def _without_zip64(extra: bytes) -> bytes:
    """The extra field minus any zip64 record (it is rewritten as needed)."""
    kept = []
    position = 0
    while position + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, position)
        end = position + 4 + size
        if kind != ZIP64_EXTRA_ID:
            kept.append(extra[position:end])
        position = end
    return b"".join(kept)


@dataclass(frozen=True)
class _Entry:
    """One central-directory record to write."""

    member: zipfile.ZipInfo
    offset: int
    compress_type: int
    flag_bits: int
    crc: int
    compress_size: int
    file_size: int
    extra: bytes
    extract_version: int

    def record(self) -> bytes:
        values = [self.file_size, self.compress_size, self.offset]
        wide = [value for value in values if value >= ZIP64_MARKER]
        fields = [ZIP64_MARKER if value >= ZIP64_MARKER else value for value in values]
        extra = _without_zip64(self.extra)
        version = self.extract_version
        if wide:
            size = 8 * len(wide)
            extra = struct.pack(f"<HH{len(wide)}Q", ZIP64_EXTRA_ID, size, *wide) + extra
            version = max(version, ZIP64_VERSION)
        time, date = _dos_time(self.member)
        name = _raw_name(self.member)
        header = CENTRAL_HEADER.pack(
            b"PK\x01\x02",
            self.member.create_version,
            self.member.create_system,
            version,
            self.member.reserved,
            self.flag_bits,
            self.compress_type,
            time,
            date,
            self.crc,
            fields[1],
            fields[0],
            len(name),
            len(extra),
            len(self.member.comment),
            0,
            self.member.internal_attr,
            self.member.external_attr,
            fields[2],
        )
        return header + name + extra + self.member.comment


def _copied_entry(member: zipfile.ZipInfo, offset: int) -> _Entry:
    return _Entry(
        member=member,
        offset=offset,
        compress_type=member.compress_type,
        flag_bits=member.flag_bits,
        crc=member.CRC,
        compress_size=member.compress_size,
        file_size=member.file_size,
        extra=member.extra,
        extract_version=member.extract_version,
    )


def _padding(length: int, end_at: int) -> bytes:
    """An extra-field block that makes ``length`` bytes end at ``end_at`` mod a page.

    The members after a rewritten one then lie at the same offsets modulo the
    page size as in the source, so the kernel can copy them page by page
    (about 1.6x faster than a copy that straddles pages). Zip readers skip
    extra blocks they do not know; the ID is the one zipalign uses for the
    same purpose.
    """
    size = (end_at - length - 4) % PAGE_BYTES
    return struct.pack("<HH", ALIGNMENT_EXTRA_ID, size) + bytes(size)


def _write_new_member(
    writer: Writer, member: zipfile.ZipInfo, data: bytes, end_at: int
) -> _Entry:
    """Write ``data`` as ``member``: stored if it was stored, else deflated.

    The member ends at an offset equal to ``end_at`` modulo the page size.
    """
    if member.compress_type == zipfile.ZIP_STORED:
        method, payload = zipfile.ZIP_STORED, data
    else:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        method = zipfile.ZIP_DEFLATED
        payload = compressor.compress(data) + compressor.flush()
    flags = member.flag_bits & UTF8_NAMES  # no data descriptor, no encryption
    crc = zlib.crc32(data)
    name = _raw_name(member)
    time, date = _dos_time(member)
    unpadded = LOCAL_HEADER.size + len(name) + len(payload)
    extra = _padding(writer.position + unpadded, end_at)
    header = LOCAL_HEADER.pack(
        ZIP_MEMBER_SIGNATURE,
        DEFAULT_VERSION,
        flags,
        method,
        time,
        date,
        crc,
        len(payload),
        len(data),
        len(name),
        len(extra),
    )
    entry = _Entry(
        member=member,
        offset=writer.position,
        compress_type=method,
        flag_bits=flags,
        crc=crc,
        compress_size=len(payload),
        file_size=len(data),
        extra=b"",  # the padding lives in the local header only
        extract_version=DEFAULT_VERSION,
    )
    writer.write(header + name + extra + payload)
    return entry


def _zip64_end_records(count: int, offset: int, size: int, position: int) -> bytes:
    """The zip64 end records, if the directory needs them (else nothing)."""
    if count < ZIP64_COUNT_MARKER and offset < ZIP64_MARKER and size < ZIP64_MARKER:
        return b""
    record = ZIP64_END_OF_CENTRAL_DIRECTORY.pack(
        b"PK\x06\x06",
        ZIP64_END_OF_CENTRAL_DIRECTORY.size - 12,  # the size of what follows
        ZIP64_VERSION,
        ZIP64_VERSION,
        0,
        0,
        count,
        count,
        size,
        offset,
    )
    return record + ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, position, 1)


def rewrite_archive(
    writer: Writer, archive: ModelArchive, replacements: dict[str, bytes]
) -> None:
    """Copy ``archive`` through ``writer``, with the given members' data replaced.

    The writer's target must be empty: offsets are counted from its start.
    """
    prefix, regions = _regions(writer.source, archive)
    writer.copy(0, prefix)
    entries: dict[str, _Entry] = {}
    for region in regions:
        member = region.member
        if member.filename in replacements:
            entries[member.filename] = _write_new_member(
                writer, member, replacements[member.filename], region.end
            )
        else:
            entries[member.filename] = _copied_entry(member, writer.position)
            writer.copy(region.start, region.end - region.start)
    directory_offset = writer.position
    directory = b"".join(entries[info.filename].record() for info in archive.members)
    writer.write(directory)
    count, size = len(entries), len(directory)
    writer.write(_zip64_end_records(count, directory_offset, size, writer.position))
    writer.write(
        END_OF_CENTRAL_DIRECTORY.pack(
            END_OF_ARCHIVE,
            0,
            0,
            min(count, ZIP64_COUNT_MARKER),
            min(count, ZIP64_COUNT_MARKER),
            size if size < ZIP64_MARKER else ZIP64_MARKER,
            directory_offset if directory_offset < ZIP64_MARKER else ZIP64_MARKER,
            len(archive.comment),
        )
        + archive.comment
    )
    # Bytes after the end record (a signature block appended by some tool)
    # are kept, at the end, as they were.
    writer.copy(archive.end, archive.size - archive.end)
