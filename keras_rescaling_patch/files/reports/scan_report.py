"""What a scan says about one file, in the shape every output is made from.

The command line's text, JSON, JSON Lines and SARIF, and the Python API,
all render :class:`FileReport`; its exit code is the command's for that
file (0 nothing affected, 1 affected or suspect, 2 not read). A file that
could not be read holds its problem as a message, which each output words
its own way (``error`` is the Python API's words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keras_rescaling_patch.files.judgement.findings import Finding, Incompatibility
from keras_rescaling_patch.files.judgement.verdicts import Judgement
from keras_rescaling_patch.files.problems import Message, Spelling, api_spelling
from keras_rescaling_patch.files.reports.json_safe import name_fields

CLEAN, AFFECTED, SUSPECT, ERROR = "clean", "affected", "suspect", "error"


@dataclass(frozen=True)
class FileReport:
    """One file's scan.

    ``format``: ``"keras"`` (an archive), ``"json"`` (a bare model config)
    or ``"hdf5"`` (a legacy model); ``None`` when it could not be read, and
    then ``problem`` says why (``error``: in one line, in the API's words).
    ``left_out``: findings whose rule the caller chose not to report
    (``select``/``ignore``); they decide nothing. ``failing``: the targeted
    releases some affected finding fails on (``failing_later``: and those
    after the newest checked), as judged once (``files/judgement/``).
    ``bytes_read``: bytes read from the file (or the store); ``requests``:
    requests made, for a remote file; ``size``: the file's size, where it
    was learnt.
    """

    file: str
    format: str | None = None
    affected: tuple[Finding | Incompatibility, ...] = ()
    suspect: tuple[Finding, ...] = ()
    other: tuple[Finding, ...] = ()
    left_out: int = 0
    problem: Message | None = None
    bytes_read: int = 0
    requests: int | None = None
    remote: bool = field(default=False, compare=False)
    size: int | None = field(default=None, compare=False)  # of the file, if known
    failing: tuple[str, ...] = field(default=(), compare=False)
    failing_later: bool = field(default=False, compare=False)
    saved_by: str | None = field(default=None, compare=False)
    loads_from: str | None = field(default=None, compare=False)
    targets: str = field(default="3.x", compare=False)  # as judged, for people

    @classmethod
    def judged(
        cls, file: str, format: str, judgement: Judgement, **counts: Any
    ) -> FileReport:
        """The report of a file read and judged."""
        return cls(
            file,
            format=format,
            affected=(
                *(j.finding for j in judgement.unreadable),
                *(j.finding for j in judgement.affected),
            ),
            suspect=tuple(j.finding for j in judgement.suspect),
            other=tuple(j.finding for j in judgement.information),
            left_out=judgement.left_out,
            failing=judgement.failing,
            failing_later=judgement.failing_later,
            saved_by=judgement.saved_by,
            loads_from=judgement.loads_from,
            targets=judgement.targets.text,
            **counts,
        )

    @property
    def error(self) -> str | None:
        return None if self.problem is None else self.problem.render()

    @property
    def status(self) -> str:
        if self.problem is not None:
            return ERROR
        if self.affected:
            return AFFECTED
        return SUSPECT if self.suspect else CLEAN

    @property
    def exit_code(self) -> int:
        return {ERROR: 2, AFFECTED: 1, SUSPECT: 1, CLEAN: 0}[self.status]

    def as_dict(self, spelling: Spelling = api_spelling) -> dict[str, Any]:
        """The JSON form (``--format json``/``jsonl``); ``spelling`` words
        the settings an error names."""
        report: dict[str, Any] = name_fields("file", self.file)
        report["status"] = self.status
        if self.problem is not None:
            report["error"] = self.problem.render(spelling)
        else:
            report["format"] = self.format
            if self.saved_by is not None:
                report["saved_by"] = self.saved_by
            report["affected"] = [finding.as_dict() for finding in self.affected]
            report["suspect"] = [finding.as_dict() for finding in self.suspect]
            report["other"] = [finding.as_dict() for finding in self.other]
            if self.left_out:
                report["left_out"] = self.left_out
        report["bytes_read"] = self.bytes_read
        if self.requests is not None:
            report["requests"] = self.requests
        report["exit_code"] = self.exit_code
        return report


@dataclass
class Summary:
    """Counts over many reports; ``skipped``: files a resumed scan did not
    scan again (their exit codes count, through ``add_skipped``)."""

    files: int = 0
    affected: int = 0
    suspect: int = 0
    clean: int = 0
    errors: int = 0
    bytes_read: int = 0
    skipped: int = 0
    exit_code: int = 0

    def add_skipped(self, exit_code: int) -> None:
        self.skipped += 1
        self.exit_code = max(self.exit_code, exit_code)

    def add(self, report: FileReport) -> None:
        self.files += 1
        status = report.status
        if status == AFFECTED:
            self.affected += 1
        elif status == SUSPECT:
            self.suspect += 1
        elif status == CLEAN:
            self.clean += 1
        else:
            self.errors += 1
        self.bytes_read += report.bytes_read
        self.exit_code = max(self.exit_code, report.exit_code)

    def as_dict(self) -> dict[str, int]:
        return {
            "files": self.files,
            "affected": self.affected,
            "suspect": self.suspect,
            "clean": self.clean,
            "errors": self.errors,
            "skipped": self.skipped,
            "bytes_read": self.bytes_read,
        }
