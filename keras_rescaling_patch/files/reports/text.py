"""The lines a person reads: each file's scan or repair, and the summary.

A line goes to standard output, or (``error``) to standard error: what
could not be done, and notes. Lines hold names and paths as they are; the
command line escapes what a terminal must not be sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from keras_rescaling_patch.files.judgement.findings import Finding, Incompatibility
from keras_rescaling_patch.files.reports import wording
from keras_rescaling_patch.files.reports.render import Context, Line
from keras_rescaling_patch.files.reports.repair_report import (
    RepairReport,
    RepairSummary,
)
from keras_rescaling_patch.files.reports.scan_report import FileReport, Summary

if TYPE_CHECKING:  # a scan's text never holds a repair
    from keras_rescaling_patch.files.judgement.exactness import Repair


def size_text(count: float) -> str:
    """``12.5 KiB``: a byte count for people."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


def argument_text(path: str, place: str, marker: str, dtype: object) -> str:
    """``  layer/path  scale  __numpy__ float64``: one serialized array."""
    return f"  {path}  {place}  {marker} {dtype}"


def _finding_line(finding: Finding) -> Line:
    shape = wording.shape_words(finding)
    shown = f" ({shape})" if finding.malformed is not None else f" {shape}"
    return Line(
        argument_text(finding.path, finding.place, finding.marker, finding.dtype)
        + shown
        + "  "
        + wording.verdict_text(finding)
    )


def _restored_line(finding: Finding, verb: str) -> Line:
    where = f"{finding.path} {finding.place}  {wording.array_text(finding)}"
    why = wording.not_restored_by(finding)
    return Line(
        f"  {wording.restored_text(finding)}, {verb}: {where}"
        + (f" ({why})" if why else "")
    )


MOST_PATHS = 3  # a grouped line names this many layers, then counts the rest


def _grouped(findings: list[Incompatibility]) -> list[Line]:
    """One line per kind of problem, naming the layers that hold it: a
    model of 24 Dense layers says quantization_config once, not 24 times."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for finding in findings:
        head = (wording.value_text(finding), wording.incompatibility_text(finding))
        groups.setdefault(head, [])
        if finding.path not in groups[head]:
            groups[head].append(finding.path)
    lines = []
    for (value, text), paths in groups.items():
        shown = ", ".join(paths[:MOST_PATHS])
        if len(paths) > MOST_PATHS:
            shown += f" and {len(paths) - MOST_PATHS} more"
        lines.append(Line(f"  {shown}  {value}  {text}"))
    return lines


def _unreadable_head(report: FileReport, unreadable: int, arrays: int) -> str:
    kind = " (legacy HDF5 model)" if report.format == "hdf5" else ""
    saved = f" (saved by Keras {report.saved_by})" if report.saved_by else ""
    shown = wording.releases_text(report.failing, report.failing_later)
    single = wording.one_release(report.failing, report.failing_later)
    does, they = ("does", "it") if single else ("do", "they")
    head = (
        f"{report.file}{kind}{saved}: stock Keras {shown} cannot load it "
        f"({unreadable} class name(s), argument(s) or structure(s) {they} {does} "
        "not read"
    )
    if arrays:
        head += f"; {arrays} serialized array(s) {they} cannot restore"
    head += ")"
    if report.loads_from:
        head += f"; the oldest release that can: {report.loads_from}"
    if report.suspect:
        count = len(report.suspect)
        head += f"; and {count} array(s) in classes this package does not know"
    return head


def _head(report: FileReport) -> str:
    kind = " (legacy HDF5 model)" if report.format == "hdf5" else ""
    unreadable = [f for f in report.affected if isinstance(f, Incompatibility)]
    affected, suspect = len(report.affected) - len(unreadable), len(report.suspect)
    if unreadable:
        head = _unreadable_head(report, len(unreadable), affected)
    elif affected:
        shown = wording.releases_text(report.failing, report.failing_later)
        head = (
            f"{report.file}{kind}: {affected} serialized array(s) stock Keras "
            f"cannot restore (on {shown})"
        )
        if suspect:
            head += f", and {suspect} in classes this package does not know"
    elif suspect:
        head = (
            f"{report.file}{kind}: {suspect} serialized array(s) in classes this "
            "package does not know; stock Keras probably cannot restore them"
        )
    else:
        head = (
            f"{report.file}{kind}: nothing stock Keras {report.targets} cannot load "
            "or restore"
        )
    if report.left_out:
        head += f" ({report.left_out} more left out by the rules chosen)"
    return head


def scan_lines(report: FileReport, context: Context) -> list[Line]:
    """One file's scan; an error line starts with the command's name."""
    if report.problem is not None:
        problem = report.problem.render(context.spelling)
        return [Line(f"{context.command}: {report.file}: {problem}", True)]
    lines = [Line(_head(report))]
    lines += _grouped([f for f in report.affected if isinstance(f, Incompatibility)])
    arrays = [f for f in report.affected if isinstance(f, Finding)]
    lines += [_finding_line(finding) for finding in (*arrays, *report.suspect)]
    lines += [_restored_line(finding, "information only") for finding in report.other]
    return lines


def summary_line(summary: Summary, seconds: float) -> Line:
    skipped = (
        f" ({summary.skipped} skipped: already scanned)" if summary.skipped else ""
    )
    return Line(
        f"scanned {summary.files} file(s){skipped}: {summary.affected} affected, "
        f"{summary.suspect} suspect, {summary.clean} clean, {summary.errors} "
        f"error(s); {size_text(summary.bytes_read)} read in {seconds:.1f} s"
    )


class TextScan:
    """A scan for people: each file's lines as it is done, then a summary
    (but for one file named on its own, which gets its answer alone)."""

    per_file = True

    def __init__(self, context: Context) -> None:
        self.context = context

    def file(self, report: FileReport) -> list[Line]:
        return scan_lines(report, self.context)

    def end(
        self, reports: Sequence[FileReport], summary: Summary, seconds: float
    ) -> list[Line]:
        if summary.files > 1 or summary.skipped:
            return [summary_line(summary, seconds)]
        return []


def _plain_kind(shape: tuple[int, ...], marker: str) -> str:
    if shape:
        return "list"
    return "text" if marker == "__bytes__" else "number"


def repair_lines(report: RepairReport, context: Context) -> list[Line]:
    """What ``repair`` did, or the one line of why it did not."""
    if report.problem is not None:
        return [Line(f"repair: {report.problem.render(context.spelling)}", True)]
    shown = report.file
    lines = []
    if not report.repairs and not report.ports:
        done = (
            "left unchanged"
            if report.output is None
            else f"copied unchanged to {report.output}"
        )
        lines.append(
            Line(
                f"{shown}: nothing to repair (nothing stock Keras {report.targets} "
                f"cannot load or restore); {done}"
            )
        )
    else:
        if report.output == report.file:
            kept = report.backup if report.backup else "no backup"
            where_to = f"{shown} in place (original: {kept})"
        else:
            where_to = f"{shown} -> {report.output}"
        count = len(report.repairs)
        done = f"{count} serialized array(s) now plain values"
        if report.ports:
            ported = f"{len(report.ports)} change(s) for the targeted releases"
            done = f"{ported}, {done}" if count else ported
        lines.append(Line(f"repaired {where_to}: {done}"))
        lines += _ports(report)
        for item in report.repairs:
            computes = (
                f" (computes in {item.compute_dtype})" if item.compute_dtype else ""
            )
            lines.append(
                Line(
                    argument_text(
                        item.path, item.argument, item.marker, item.stored_dtype
                    )
                    + f" shape {wording.shape_text(item.shape)} -> plain "
                    f"{_plain_kind(item.shape, item.marker)}{computes}"
                )
            )
            lines += _arithmetic_lines(item)
            if item.non_finite:
                dtype = item.compute_dtype or item.stored_dtype
                lines.append(
                    Line(
                        f"  note: {item.path} {item.argument} computes as infinity "
                        f"or NaN in {dtype}, as it did before; config.json now "
                        "spells it Infinity or NaN, which Keras reads but strict "
                        "JSON parsers refuse",
                        True,
                    )
                )
    lines += [_restored_line(finding, "left as it is") for finding in report.other]
    return lines


MOST_WRITTEN_CHARACTERS = 60


def _arithmetic_lines(item: Repair) -> list[Line]:
    """Why a value is exact by its class's arithmetic, and what rounding
    (allowed by the caller) changed, with how much."""
    where = f"{item.path} {item.argument}"
    lines = []
    if item.exact_because is not None:
        lines.append(Line(f"  exact: {item.exact_because}"))
    if item.rounding is not None:
        rounding = item.rounding
        written = json.dumps(rounding.written)
        if len(written) > MOST_WRITTEN_CHARACTERS:
            written = written[: MOST_WRITTEN_CHARACTERS - 3] + "..."
        lines.append(
            Line(
                f"  note: {where} rounded: wrote {written}; {rounding.moved} "
                f"value(s) moved, by at most {rounding.largest_absolute:.3g} "
                f"(relative {rounding.largest_relative:.3g})",
                True,
            )
        )
    if item.computes_differently is not None:
        lines.append(
            Line(
                f"  note: {where} written although {item.computes_differently}: "
                "its results may differ from the saved model's",
                True,
            )
        )
    return lines


def _ports(report: RepairReport) -> list[Line]:
    """One line per kind of change, naming the layers it was made in."""
    groups: dict[tuple[str, str], list[str]] = {}
    for change in report.ports:
        groups.setdefault((change.place, change.done), []).append(change.path)
    lines = []
    for (place, done), paths in groups.items():
        unique = list(dict.fromkeys(paths))
        shown = ", ".join(unique[:MOST_PATHS])
        if len(unique) > MOST_PATHS:
            shown += f" and {len(unique) - MOST_PATHS} more"
        lines.append(Line(f"  {shown}  {place or 'itself'}  {done}"))
    return lines


class TextRepair:
    """A repair for people: what was done with each file, and over many
    files, the counts at the end."""

    per_file = True

    def __init__(self, context: Context) -> None:
        self.context = context

    def file(self, report: RepairReport) -> list[Line]:
        return repair_lines(report, self.context)

    def end(
        self, reports: Sequence[RepairReport], summary: RepairSummary, seconds: float
    ) -> list[Line]:
        if summary.files + summary.skipped <= 1:
            return []
        counts = ", ".join(
            f"{count} {name}"
            for name, count in summary.as_dict().items()
            if name != "files" and count
        )
        return [
            Line(
                f"{self.context.command}: {summary.files} file(s) in {seconds:.1f} s"
                + (f": {counts}" if counts else "")
            )
        ]
