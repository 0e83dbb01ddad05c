"""A scan or a repair as JSON: one document, or a line per file as each is
done, and those lines read back to resume a run that stopped.

Every JSON output is valid UTF-8 (``files/reports/json_safe.py``).

JSON Lines is what a long scan writes when it may be cut short: each line
is one file's report, complete; :func:`read_results` takes such an output
back (the files already done, and their exit codes), and refuses one whose
last line was cut short or that is not such an output.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from keras_rescaling_patch.files.problems import FileProblem, Spelling
from keras_rescaling_patch.files.reports.json_safe import valid_utf8
from keras_rescaling_patch.files.reports.render import Context, DocumentScan, Line
from keras_rescaling_patch.files.reports.repair_report import (
    RepairReport,
    RepairSummary,
)
from keras_rescaling_patch.files.reports.scan_report import FileReport, Summary


class Reported(Protocol):
    """A file's report or a run's summary: what it says, as a dict."""

    def as_dict(self, spelling: Spelling) -> dict[str, Any]: ...


class Counted(Protocol):
    exit_code: int

    def as_dict(self) -> dict[str, int]: ...


def dumps(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON text that is valid UTF-8 (see ``json_safe``)."""
    return json.dumps(valid_utf8(value), indent=indent)


def line(report: Reported, spelling: Spelling) -> str:
    """One file's report as a line of JSON (with its newline)."""
    return dumps(report.as_dict(spelling)) + "\n"


def document(reports: Iterable[Reported], summary: Counted, spelling: Spelling) -> str:
    """The whole run as one JSON document: its files, counts, exit code."""
    return dumps(
        {
            "files": [report.as_dict(spelling) for report in reports],
            "summary": summary.as_dict(),
            "exit_code": summary.exit_code,
        },
        indent=2,
    )


class JsonScan(DocumentScan):
    """A scan as one JSON document, at the end."""

    def document(self, reports: Sequence[FileReport], summary: Summary) -> str:
        return document(reports, summary, self.context.spelling)


class JsonLinesScan:
    """A scan as a line of JSON per file, written as each is done."""

    per_file = True

    def __init__(self, context: Context) -> None:
        self.context = context

    def file(self, report: FileReport) -> list[Line]:
        return [Line(line(report, self.context.spelling).rstrip("\n"), exact=True)]

    def end(
        self, reports: Sequence[FileReport], summary: Summary, seconds: float
    ) -> list[Line]:
        return []


class JsonRepair:
    """A repair as one JSON document, at the end."""

    per_file = False

    def __init__(self, context: Context) -> None:
        self.context = context

    def file(self, report: RepairReport) -> list[Line]:
        return []

    def end(
        self, reports: Sequence[RepairReport], summary: RepairSummary, seconds: float
    ) -> list[Line]:
        return [Line(document(reports, summary, self.context.spelling), exact=True)]


class JsonLinesRepair:
    """A repair as a line of JSON per file, written as each is done."""

    per_file = True

    def __init__(self, context: Context) -> None:
        self.context = context

    def file(self, report: RepairReport) -> list[Line]:
        return [Line(line(report, self.context.spelling).rstrip("\n"), exact=True)]

    def end(
        self, reports: Sequence[RepairReport], summary: RepairSummary, seconds: float
    ) -> list[Line]:
        return []


class CannotResume(FileProblem):
    """A previous output exists but cannot be taken back; the message says why."""


# A key every line of each command's output holds, and no other command's.
KIND_KEYS = {"scan": "bytes_read", "repair": "repairs"}


def read_results(
    path: str, command: str = "scan", again: Iterable[str] = ("error",)
) -> dict[str, int]:
    """File -> exit code, from a previous JSON Lines output of ``command``:
    the files it lists as done (not those whose status is among ``again``,
    which are taken again)."""
    return {
        file: code
        for file, (status, code, _) in read_lines(path, command).items()
        if status not in frozenset(again)
    }


def read_repairs(path: str) -> dict[str, tuple[str, int, str | None]]:
    """File -> (status, exit code, output), from a previous ``repair``'s
    JSON Lines output: a caller decides which of them this run may skip
    (one that wrote elsewhere did not do this run's work)."""
    return read_lines(path, "repair")


def read_lines(path: str, command: str) -> dict[str, tuple[str, int, str | None]]:
    """File -> (status, exit code, output) of each line of ``command``'s
    JSON Lines output at ``path``; the last line for a file named twice.
    ``CannotResume`` for a file that is missing, unreadable, cut short, or
    holds a line that is not such a line."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except FileNotFoundError:
        raise CannotResume(
            f"{path} does not exist; give the JSON Lines output of an earlier "
            f"{command} (redirecting the output to it creates it, empty)"
        ) from None
    except OSError as error:
        raise CannotResume(f"cannot read {path} ({error.strerror})") from None
    if data and not data.endswith(b"\n"):
        raise CannotResume(
            f"the last line of {path} is cut short (a {command} stopped while "
            "writing it?); end or remove that line, then resume"
        )
    done: dict[str, tuple[str, int, str | None]] = {}
    for number, text in enumerate(data.splitlines(), 1):
        if not text.strip():
            continue
        try:
            done.update([_line(json.loads(text), command)])
        except (ValueError, TypeError, KeyError):
            raise CannotResume(
                f"line {number} of {path} is not a line of a {command}'s JSON "
                "Lines output"
            ) from None
    return done


def _line(entry: Any, command: str) -> tuple[str, tuple[str, int, str | None]]:
    """One line's file and (status, exit code, output); ``ValueError`` for
    what no ``command`` writes."""
    if not isinstance(entry, dict) or KIND_KEYS[command] not in entry:
        raise ValueError("not a line of this command")
    status, code = entry["status"], entry.get("exit_code", 0)
    if not isinstance(status, str) or type(code) is not int:
        raise ValueError("not a line of this command")
    output = _name(entry, "output") if entry.get("output") is not None else None
    return _name(entry, "file"), (status, code, output)


def _name(entry: dict[str, Any], key: str) -> str:
    """A name as the scan knew it: from its exact bytes where the line
    carries them (a name that is not UTF-8), else as written."""
    raw = entry.get(f"{key}_base64")
    if isinstance(raw, str):
        return os.fsdecode(base64.b64decode(raw, validate=True))
    name = entry[key]
    if not isinstance(name, str):
        raise TypeError(f"{key} is not a name")
    return name
