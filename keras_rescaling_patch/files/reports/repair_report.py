"""What ``repair`` did with one file, for every output and the Python API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from keras_rescaling_patch.files.problems import Message, Role, Spelling, api_spelling
from keras_rescaling_patch.files.reports.json_safe import name_fields

if TYPE_CHECKING:  # a scan renders repairs' reports but never makes one
    from keras_rescaling_patch.files.judgement.exactness import Repair, Rounding
    from keras_rescaling_patch.files.judgement.findings import Finding
    from keras_rescaling_patch.files.judgement.porting import Port

REPAIRED, UNCHANGED, COPIED, REFUSED, ERROR = (
    "repaired",
    "unchanged",
    "copied",
    "refused",
    "error",
)


@dataclass(frozen=True)
class RepairReport:
    """What ``repair`` did with one file.

    ``status``: ``repaired`` (written to ``output``), ``copied`` (nothing to
    repair; copied unchanged to ``output``), ``unchanged`` (nothing to
    repair in place), ``refused`` (a value no plain list carries exactly,
    exit code 1) or ``error`` (exit code 2); ``problem`` says why (``error``:
    in one line, in the API's words).
    """

    file: str
    status: str
    output: str | None = None
    backup: str | None = None
    repairs: tuple[Repair, ...] = ()
    other: tuple[Finding, ...] = ()
    problem: Message | None = None
    ports: tuple[Port, ...] = ()
    targets: str = "3.x"  # the releases it was made to load on, for people

    @property
    def error(self) -> str | None:
        return None if self.problem is None else self.problem.render()

    @property
    def exit_code(self) -> int:
        return {REFUSED: 1, ERROR: 2}.get(self.status, 0)

    def naming(self, names: Mapping[Role, str]) -> RepairReport:
        """The report with its problem naming the files by ``names`` (the
        user's, where the work was done on temporary copies)."""
        if self.problem is None:
            return self
        return replace(self, problem=self.problem.naming(names))

    def as_dict(self, spelling: Spelling = api_spelling) -> dict[str, Any]:
        return {
            **name_fields("file", self.file),
            "status": self.status,
            **name_fields("output", self.output),
            **name_fields("backup", self.backup),
            "repairs": [_repair_dict(item) for item in self.repairs],
            "ported": [
                {"path": p.path, "place": p.place, "rule": p.rule, "done": p.done}
                for p in self.ports
            ],
            "error": None if self.problem is None else self.problem.render(spelling),
            "exit_code": self.exit_code,
        }


def _repair_dict(item: Repair) -> dict[str, Any]:
    return {
        "path": item.path,
        "argument": item.argument,
        "marker": item.marker,
        "stored_dtype": item.stored_dtype,
        "compute_dtype": item.compute_dtype,
        "shape": list(item.shape),
        "non_finite": item.non_finite,
        "exact_because": item.exact_because,
        "rounding": _rounding_dict(item.rounding),
        "computes_differently": item.computes_differently,
    }


def _rounding_dict(rounding: Rounding | None) -> dict[str, Any] | None:
    if rounding is None:
        return None
    return {
        "written": rounding.written,
        "largest_absolute_difference": rounding.largest_absolute,
        "largest_relative_difference": rounding.largest_relative,
        "values_moved": rounding.moved,
    }


@dataclass
class RepairSummary:
    """Counts over many repairs; ``skipped``: files a resumed repair did
    not take again (their exit codes count, through ``add_skipped``)."""

    files: int = 0
    repaired: int = 0
    copied: int = 0
    unchanged: int = 0
    refused: int = 0
    errors: int = 0
    skipped: int = 0
    exit_code: int = 0

    def add_skipped(self, exit_code: int) -> None:
        self.skipped += 1
        self.exit_code = max(self.exit_code, exit_code)

    def add(self, report: RepairReport) -> None:
        self.files += 1
        counts = {
            REPAIRED: "repaired",
            COPIED: "copied",
            UNCHANGED: "unchanged",
            REFUSED: "refused",
        }
        field = counts.get(report.status, "errors")
        setattr(self, field, getattr(self, field) + 1)
        self.exit_code = max(self.exit_code, report.exit_code)

    def as_dict(self) -> dict[str, int]:
        return {
            "files": self.files,
            "repaired": self.repaired,
            "copied": self.copied,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "errors": self.errors,
            "skipped": self.skipped,
        }
