"""Apply a unified diff exactly: no fuzz, no offset, all or nothing.

A vendored file that differs from the pristine release in any line the
patch touches or leans on is refused, never half-patched. That is stricter
than ``patch`` (which would shift hunks or ignore context) on purpose: the
only trees this package changes are ones it can vouch for. Git's extended
headers (``diff --git``, ``index``) and a DEP-3 preamble are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(Exception):
    """The patch does not fit the file; the message says where."""


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` block: where it starts and its lines, each with its sign."""

    old_start: int
    new_start: int
    lines: tuple[str, ...]

    def side(self, signs: str) -> list[str]:
        return [line[1:] for line in self.lines if line[:1] in signs]


@dataclass(frozen=True)
class FilePatch:
    """The hunks for one file, named by its path after ``-p1``."""

    path: str
    hunks: tuple[Hunk, ...]


def _strip_prefix(name: str) -> str:
    name = name.split("\t", 1)[0].strip()
    return name.split("/", 1)[1] if "/" in name else name


def parse(text: str) -> list[FilePatch]:
    """Read every file section of a unified diff."""
    lines = text.splitlines()
    files: list[FilePatch] = []
    index = 0
    while index < len(lines):
        if not (lines[index].startswith("--- ") and index + 1 < len(lines)):
            index += 1
            continue
        if not lines[index + 1].startswith("+++ "):
            index += 1
            continue
        path = _strip_prefix(lines[index + 1][4:])
        index += 2
        hunks = []
        while index < len(lines) and (match := HUNK_HEADER.match(lines[index])):
            old_count = int(match[2] if match[2] is not None else 1)
            new_count = int(match[4] if match[4] is not None else 1)
            index += 1
            body = []
            while old_count > 0 or new_count > 0:
                if index >= len(lines):
                    raise PatchError(f"{path}: the patch ends inside a hunk")
                line = lines[index] or " "
                sign = line[0]
                if sign == "\\":
                    raise PatchError(
                        f"{path}: 'No newline at end of file' is not supported"
                    )
                if sign not in " -+":
                    raise PatchError(f"{path}: malformed hunk line {line!r}")
                old_count -= sign in " -"
                new_count -= sign in " +"
                body.append(line)
                index += 1
            hunks.append(Hunk(int(match[1]), int(match[3]), tuple(body)))
        if not hunks:
            raise PatchError(f"{path}: no hunks")
        files.append(FilePatch(path, tuple(hunks)))
    if not files:
        raise PatchError("no file sections in the patch")
    return files


def apply(original: str, patch: FilePatch, *, reverse: bool = False) -> str:
    """Return ``original`` with ``patch`` applied (or undone).

    Every hunk must match exactly at the line its header names. Raises
    :class:`PatchError` naming the first hunk that does not.
    """
    old_signs, new_signs = (" +", " -") if reverse else (" -", " +")
    source = original.splitlines(keepends=True)
    if source and not source[-1].endswith("\n"):
        raise PatchError(f"{patch.path}: the file does not end with a newline")
    result: list[str] = []
    cursor = 0
    for number, hunk in enumerate(patch.hunks, start=1):
        expected = hunk.side(old_signs)
        start = (hunk.new_start if reverse else hunk.old_start) - 1
        if not expected:  # a pure insertion names the line before it
            start += 1
        actual = [line[:-1] for line in source[start : start + len(expected)]]
        if start < cursor or actual != expected:
            raise PatchError(
                f"{patch.path}: hunk {number} (at line {start + 1}) does not match"
            )
        result.extend(source[cursor:start])
        result.extend(line + "\n" for line in hunk.side(new_signs))
        cursor = start + len(expected)
    result.extend(source[cursor:])
    return "".join(result)
