"""The lines a person reads: each file's scan or repair, and a scan's summary.

A line goes to standard output, or (``error``) to standard error: what
could not be done, and notes. Lines hold names and paths as they are; the
command line escapes what a terminal must not be sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keras_rescaling_patch.files.model.config_scan import Finding
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


def argument_text(path: str, key: str, marker: str, dtype: object) -> str:
    """``  layer/path  scale  __numpy__ float64``: one array-valued argument."""
    argument = key.rsplit(".", 1)[-1]
    return f"  {path}  {argument}  {marker} {dtype}"


def _shape(finding: Finding) -> str:
    if finding.malformed is not None:
        return f" ({finding.malformed})"
    return f" shape {shape_text(finding.shape)}"


def scan_lines(report: FileReport, spelling: Spelling, command: str) -> list[Line]:
    """One file's scan; ``command`` starts an error line (``scan:``)."""
    if report.problem is not None:
        return [
            Line(f"{command}: {report.file}: {report.problem.render(spelling)}", True)
        ]
    shown = report.file
    kind = " (legacy HDF5 model)" if report.format == "hdf5" else ""
    if report.suspect and not report.affected:
        head = (
            f"{shown}{kind}: {len(report.suspect)} array-valued scale/offset "
            "argument(s) of other layer classes; stock Keras 3.0-3.4 probably "
            "cannot run this file"
        )
    elif report.affected:
        head = (
            f"{shown}{kind}: {len(report.affected)} array-valued Rescaling "
            "argument(s); stock Keras 3.0-3.4 cannot run this file"
        )
    elif report.format == "hdf5":
        head = (
            f"{shown}: legacy HDF5 model, not affected: its Rescaling arguments, "
            "if any, are plain numbers or lists, which Keras 3.0-3.4 load"
        )
    else:
        head = f"{shown}: no array-valued Rescaling arguments"
    lines = [Line(head)]
    for finding in report.affected:
        lines.append(
            Line(
                argument_text(finding.path, finding.key, finding.marker, finding.dtype)
                + _shape(finding)
            )
        )
    for finding in report.suspect:
        lines.append(
            Line(
                argument_text(finding.path, finding.key, finding.marker, finding.dtype)
                + f": a {finding.layer_class} layer, not keras.layers.Rescaling (a "
                "subclass?): stock Keras 3.0-3.4 fails on it too unless its own "
                "code restores the array"
            )
        )
    for finding in report.other:
        lines.append(
            Line(f"  other array-valued config (information only): {where(finding)}")
        )
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
                f"{shown}: nothing to repair (no array-valued Rescaling "
                f"arguments); {done}"
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
            Line(f"repaired {where_to}: {count} Rescaling argument(s) now plain lists")
        )
        for item in report.repairs:
            lines.append(
                Line(
                    argument_text(
                        item.path, item.argument, item.marker, item.stored_dtype
                    )
                    + f" shape {shape_text(item.shape)} -> plain list (computes in "
                    f"{item.compute_dtype})"
                )
            )
            if item.non_finite:
                lines.append(
                    Line(
                        f"  note: {item.path} {item.argument} computes as infinity "
                        f"or NaN in {item.compute_dtype}, as it did before; "
                        "config.json now spells it Infinity or NaN, which Keras "
                        "reads but strict JSON parsers refuse",
                        True,
                    )
                )
    for finding in report.other:
        lines.append(
            Line(f"  other array-valued config, left as it is: {where(finding)}")
        )
    return lines
