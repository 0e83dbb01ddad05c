"""What every output of the file tools is: a renderer, behind one interface.

A command hands each report to its renderer as the report comes
(:meth:`ScanRenderer.file`), then the summary at the end
(:meth:`ScanRenderer.end`), and writes the :class:`Line` s it gets back; it
never words a finding itself. Text and JSON Lines answer per file, JSON and
SARIF with one document at the end. Renderers word findings through one
module (``files/reports/wording.py``), so that every output says the same
thing about the same finding, and settings through the caller's
``Spelling`` (flags on the command line, parameters in the API).

``files/reports/formats.py`` lists them by the name a caller asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from keras_rescaling_patch.files.problems import Spelling, api_spelling
from keras_rescaling_patch.files.reports.repair_report import (
    RepairReport,
    RepairSummary,
)
from keras_rescaling_patch.files.reports.scan_report import FileReport, Summary


@dataclass(frozen=True)
class Line:
    """Output: on standard output, or (``error``) standard error. ``exact``:
    for machines (JSON, SARIF: ASCII), to be written as it is; other text
    holds names from files, which a terminal must see escaped."""

    text: str
    error: bool = False
    exact: bool = False


@dataclass(frozen=True)
class Context:
    """What a renderer needs to know of its caller: how it spells settings,
    its version (SARIF's tool), and its name (``scan:`` starts an error)."""

    spelling: Spelling = api_spelling
    version: str = ""
    command: str = "scan"


class ScanRenderer(Protocol):
    """A scan's output. ``per_file``: whether :meth:`file` writes as each
    file is done (a stream, in the order scans end), rather than a document
    at :meth:`end`."""

    per_file: bool

    def file(self, report: FileReport) -> list[Line]: ...

    def end(
        self, reports: Sequence[FileReport], summary: Summary, seconds: float
    ) -> list[Line]: ...


class DocumentScan:
    """A scan written as one document at the end (JSON, SARIF): nothing per
    file; :meth:`document` says how."""

    per_file = False

    def __init__(self, context: Context) -> None:
        self.context = context

    def file(self, report: FileReport) -> list[Line]:
        return []

    def end(
        self, reports: Sequence[FileReport], summary: Summary, seconds: float
    ) -> list[Line]:
        return [Line(self.document(reports, summary), exact=True)]

    def document(self, reports: Sequence[FileReport], summary: Summary) -> str:
        raise NotImplementedError


class RepairRenderer(Protocol):
    """A repair's output, of one file or many: ``per_file`` as for
    :class:`ScanRenderer`."""

    per_file: bool

    def file(self, report: RepairReport) -> list[Line]: ...

    def end(
        self, reports: Sequence[RepairReport], summary: RepairSummary, seconds: float
    ) -> list[Line]: ...
