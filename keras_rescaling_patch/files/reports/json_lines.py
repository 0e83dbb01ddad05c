"""A scan as JSON: one document, or a line per file as each is done, and
those lines read back to resume a scan that stopped.

JSON Lines is what a long scan writes when it may be cut short: each line
is one file's report, complete; :func:`read_results` takes such an output
back (the files already read, and their exit codes), and refuses one whose
last line was cut short or that is not a scan's output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from keras_rescaling_patch.files.problems import FileProblem, Spelling
from keras_rescaling_patch.files.reports.scan_report import FileReport, Summary


def line(report: FileReport, spelling: Spelling) -> str:
    """One file's report as a line of JSON (with its newline)."""
    return json.dumps(report.as_dict(spelling)) + "\n"


def document(
    reports: Iterable[FileReport], summary: Summary, spelling: Spelling
) -> str:
    """The whole scan as one JSON document: its files, counts, exit code."""
    return json.dumps(
        {
            "files": [report.as_dict(spelling) for report in reports],
            "summary": summary.as_dict(),
            "exit_code": summary.exit_code,
        },
        indent=2,
    )


class CannotResume(FileProblem):
    """A previous output exists but cannot be taken back; the message says why."""


def read_results(path: str) -> dict[str, int]:
    """File -> exit code, from a previous JSON Lines output: the files it
    lists as read (not those it lists as errors, which are read again). A
    missing file is a first run: nothing read yet."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise CannotResume(f"cannot read {path} ({error.strerror})") from None
    if data and not data.endswith(b"\n"):
        raise CannotResume(
            f"the last line of {path} is cut short (a scan stopped while "
            "writing it?); end or remove that line, then resume"
        )
    done: dict[str, int] = {}
    for number, text in enumerate(data.splitlines(), 1):
        if not text.strip():
            continue
        try:
            entry: Any = json.loads(text)
            file, status = entry["file"], entry["status"]
            code = int(entry.get("exit_code", 0))
        except (ValueError, TypeError, KeyError):
            raise CannotResume(
                f"line {number} of {path} is not a line of a scan's JSON Lines output"
            ) from None
        if status != "error":
            done[str(file)] = code
    return done
