"""The lines a person reads: each file's scan or repair, and a scan's summary.

A line goes to standard output, or (``error``) to standard error: what
could not be done, and notes. Lines hold names and paths as they are; the
command line escapes what a terminal must not be sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from keras_rescaling_patch._keras_releases import KERAS_3, LATEST_CHECKED
from keras_rescaling_patch.files.model.config_scan import Finding
from keras_rescaling_patch.files.model.restoration import (
    UNKNOWN_CLASS,
    checked_releases,
)
from keras_rescaling_patch.files.options import Targets
from keras_rescaling_patch.files.problems import Spelling
from keras_rescaling_patch.files.reports.repair_report import RepairReport
from keras_rescaling_patch.files.reports.scan_report import FileReport, Summary


@dataclass(frozen=True)
class Line:
    text: str
    error: bool = False


def size_text(count: float) -> str:
    """``12.5 KiB``: a byte count for people."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


def shape_text(shape: Sequence[int] | None) -> str:
    """``3x4``, ``scalar``, or what stands where an array's values belong."""
    if shape is None:
        return "not an array"
    return "x".join(map(str, shape)) or "scalar"


def where(finding: Finding) -> str:
    """Where an array sits in the config, and what it is."""
    return f"{finding.path} {finding.key}  {finding.marker} {finding.dtype}"


def argument_text(path: str, place: str, marker: str, dtype: object) -> str:
    """``  layer/path  scale  __numpy__ float64``: one serialized array."""
    return f"  {path}  {place}  {marker} {dtype}"


_ORDER = {text: number for number, text in enumerate(KERAS_3)}


@cache
def releases_text(releases: tuple[str, ...], later: bool) -> str:
    """Checked releases as runs of consecutive ones (``3.0.0-3.4.1,
    3.6.0``), and ``later``: the releases after the newest checked too.
    Once per value, which a scan of thousands of files meets again and
    again."""
    runs: list[list[str]] = []
    for text in sorted(releases, key=_ORDER.__getitem__):
        if runs and _ORDER[text] == _ORDER[runs[-1][-1]] + 1:
            runs[-1].append(text)
        else:
            runs.append([text])
    shown = ", ".join(
        run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs
    )
    if later:
        return f"{shown} and later" if shown else f"releases after {LATEST_CHECKED}"
    return shown


def failing_text(finding: Finding, targets: Targets) -> str:
    """The targeted releases that leave ``finding`` unrestored, as runs:
    ``3.0.0-3.4.1``; newer releases than those checked, where the rule
    says they fail too."""
    return releases_text(finding.failing(targets), finding.fails_after_checked(targets))


def verdict_text(finding: Finding, targets: Targets) -> str:
    """``KRP001 Rescaling: stock Keras 3.0.0-3.4.1 cannot restore it; fixed
    in 3.5.0``: what stock Keras does with one finding."""
    head = f"{finding.rule} {finding.layer_class or finding.owner}"
    if finding.rule == UNKNOWN_CLASS.code:
        return (
            f"{head}: a class this package does not know; stock Keras hands it "
            "the marker unrestored, so it works only if that class's own code "
            "restores it"
        )
    if finding.since is None:
        return f"{head}: no Keras release restores it ({checked_releases()} checked)"
    fails = f"stock Keras {failing_text(finding, targets)} cannot restore it"
    return f"{head}: {fails}; fixed in {finding.since}"


def _shape(finding: Finding) -> str:
    if finding.malformed is not None:
        return f" ({finding.malformed})"
    return f" shape {shape_text(finding.shape)}"


def _restored_line(finding: Finding, targets: Targets, verb: str) -> Line:
    if finding.rule is None:
        return Line(f"  restored by stock Keras, {verb}: {where(finding)}")
    return Line(
        f"  restored by the targeted releases, {verb}: {where(finding)} "
        f"({finding.rule}: stock Keras {failing_text(finding, Targets())} "
        "cannot)"
    )


def scan_lines(report: FileReport, spelling: Spelling, command: str) -> list[Line]:
    """One file's scan; ``command`` starts an error line (``scan:``)."""
    if report.problem is not None:
        return [
            Line(f"{command}: {report.file}: {report.problem.render(spelling)}", True)
        ]
    targets = report.targets
    kind = " (legacy HDF5 model)" if report.format == "hdf5" else ""
    if report.affected:
        failing = {finding.failing(targets) for finding in report.affected}
        releases = failing.pop() if len(failing) == 1 else tuple(set().union(*failing))
        later = any(f.fails_after_checked(targets) for f in report.affected)
        shown = releases_text(releases, later)
        head = (
            f"{report.file}{kind}: {len(report.affected)} serialized array(s) "
            f"stock Keras cannot restore (on {shown})"
        )
    elif report.suspect:
        head = (
            f"{report.file}{kind}: {len(report.suspect)} serialized array(s) in "
            "classes this package does not know; stock Keras probably cannot "
            "restore them"
        )
    else:
        head = (
            f"{report.file}{kind}: no serialized array that stock Keras cannot restore"
        )
    if report.left_out:
        head += f" ({report.left_out} more left out by the rules chosen)"
    lines = [Line(head)]
    for finding in (*report.affected, *report.suspect):
        lines.append(
            Line(
                argument_text(
                    finding.path, finding.place, finding.marker, finding.dtype
                )
                + _shape(finding)
                + "  "
                + verdict_text(finding, targets)
            )
        )
    for finding in report.other:
        lines.append(_restored_line(finding, targets, "information only"))
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


def _plain_kind(shape: tuple[int, ...], marker: str) -> str:
    if shape:
        return "list"
    return "text" if marker == "__bytes__" else "number"


def repair_lines(report: RepairReport, spelling: Spelling) -> list[Line]:
    """What ``repair`` did, or the one line of why it did not."""
    if report.problem is not None:
        return [Line(f"repair: {report.problem.render(spelling)}", True)]
    shown = report.file
    lines = []
    if not report.repairs:
        done = (
            "left unchanged"
            if report.output is None
            else f"copied unchanged to {report.output}"
        )
        lines.append(
            Line(
                f"{shown}: nothing to repair (no serialized array that stock Keras "
                f"cannot restore); {done}"
            )
        )
    else:
        if report.output == report.file:
            kept = report.backup if report.backup else "no backup"
            where_to = f"{shown} in place (original: {kept})"
        else:
            where_to = f"{shown} -> {report.output}"
        count = len(report.repairs)
        lines.append(
            Line(f"repaired {where_to}: {count} serialized array(s) now plain values")
        )
        for item in report.repairs:
            computes = (
                f" (computes in {item.compute_dtype})" if item.compute_dtype else ""
            )
            lines.append(
                Line(
                    argument_text(
                        item.path, item.argument, item.marker, item.stored_dtype
                    )
                    + f" shape {shape_text(item.shape)} -> plain "
                    f"{_plain_kind(item.shape, item.marker)}{computes}"
                )
            )
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
    for finding in report.other:
        lines.append(_restored_line(finding, Targets(), "left as it is"))
    return lines
