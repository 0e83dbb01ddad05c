"""``repair`` for any source and output: local paths or URLs, one report.

A local repair is ``files/repair.py``: streamed, atomic, race-checked. A
remote source is downloaded to a private temporary folder first (the
weights are copied, so the whole file must be read) and repaired from
there; a remote output is written there first and uploaded only when
complete, as a conditional create unless ``force`` (S3 refuses it with a
412 when the object appeared meanwhile), so an existing object is never
replaced without ``force`` and a concurrent writer is never clobbered.
``in_place`` is refused for a remote file: an object store has no atomic
swap with a backup to match the local guarantees.

Every outcome is a :class:`RepairReport`; its ``error`` is the one line
the command line prints after ``repair:``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keras_rescaling_patch.files import config_repair, keras_file, remote, repair
from keras_rescaling_patch.files.config_repair import Repair
from keras_rescaling_patch.files.scan import Finding

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
    exit code 1) or ``error`` (exit code 2); ``error`` says why in one line.
    """

    file: str
    status: str
    output: str | None = None
    backup: str | None = None
    repairs: tuple[Repair, ...] = ()
    other: tuple[Finding, ...] = ()
    error: str | None = None

    @property
    def exit_code(self) -> int:
        return {REFUSED: 1, ERROR: 2}.get(self.status, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "output": self.output,
            "backup": self.backup,
            "repairs": [
                {
                    "path": item.path,
                    "argument": item.argument,
                    "marker": item.marker,
                    "stored_dtype": item.stored_dtype,
                    "compute_dtype": item.compute_dtype,
                    "shape": list(item.shape),
                    "non_finite": item.non_finite,
                }
                for item in self.repairs
            ],
            "error": self.error,
            "exit_code": self.exit_code,
        }


def repair_any(
    source: str,
    output: str | None,
    *,
    in_place: bool,
    backup: bool,
    force: bool,
    sync: bool,
    max_config_bytes: int,
    max_elements: int,
    timeout: float,
    progress: Callable[[int], Any],
) -> RepairReport:
    """Repair ``source`` into ``output`` (or in place); never raises for a
    problem with the files."""
    options = dict(
        backup=backup, force=force, sync=sync, progress=progress,
        max_config_bytes=max_config_bytes, max_elements=max_elements,
    )  # fmt: skip
    if output is not None and output.endswith(("/", os.sep)):
        return RepairReport(
            source,
            ERROR,
            error=f"{output} names a folder; give the output file's own name; "
            "nothing written",
        )
    if remote.is_remote(source) and (
        source.endswith("/")
        or (
            remote.scheme_of(source) in remote.WEB_SCHEMES
            and remote.names_folder(source)
        )
    ):
        return RepairReport(
            source,
            ERROR,
            error=f"{source} names a folder or prefix; repair takes one file's "
            "URL; nothing written",
        )
    if remote.is_remote(source) or (output is not None and remote.is_remote(output)):
        if in_place:
            return RepairReport(
                source,
                ERROR,
                error=f"{source}: --in-place works on local files only; write the "
                "result elsewhere with -o (an existing object is never replaced "
                "without --force); nothing written",
            )
        assert output is not None
        return _remote(source, output, timeout, options)
    local_output = None if output is None else Path(remote.local_path(output))
    return _local(Path(remote.local_path(source)), local_output, in_place, options)


def _local(
    source: Path, output: Path | None, in_place: bool, options: dict[str, Any]
) -> RepairReport:
    name, shown = str(source), str(source)
    try:
        outcome = repair.repair(source, output, in_place=in_place, **options)
    except config_repair.NotExactlyRepairable as error:
        return RepairReport(
            name,
            REFUSED,
            error=f"{shown}: cannot repair exactly: {error}; nothing written. Load "
            "this file with the shim (import keras_rescaling_patch) or Keras >= 3.5 "
            "instead",
        )
    except (keras_file.UnreadableModel, config_repair.TooLarge) as error:
        return RepairReport(name, ERROR, error=f"{shown}: {error}; nothing written")
    except repair.RepairRefused as error:
        about = f"{error.about}: " if error.about is not None else ""
        return RepairReport(name, ERROR, error=f"{about}{error}; nothing written")
    except OSError as error:  # the output side: the input was read above
        where = output or source
        return RepairReport(
            name,
            ERROR,
            error=f"cannot write {where}: {error.strerror or error}; nothing written",
        )
    if not outcome.repairs:
        status = UNCHANGED if outcome.written is None else COPIED
    else:
        status = REPAIRED
    return RepairReport(
        name,
        status,
        output=None if outcome.written is None else str(outcome.written),
        backup=None if outcome.backup is None else str(outcome.backup),
        repairs=outcome.repairs,
        other=outcome.other,
    )


def _remote(
    source: str, output: str, timeout: float, options: dict[str, Any]
) -> RepairReport:
    force = bool(options["force"])
    if remote.is_remote(output):
        try:
            taken = not force and remote.exists(output, timeout)
        except Exception as error:  # noqa: BLE001 - any store's error is one line
            return _cannot_write(source, output, error)
        if taken:
            return RepairReport(
                source, ERROR,
                error=f"{output} exists; pass --force to overwrite it; nothing written",
            )  # fmt: skip
    else:  # a local output: refused before a download that would be wasted
        try:
            repair.check_destination(None, Path(remote.local_path(output)), force)
        except repair.RepairRefused as error:
            return RepairReport(source, ERROR, error=f"{error}; nothing written")
    with tempfile.TemporaryDirectory(prefix="keras-rescaling-patch-") as folder:
        work = Path(folder)
        local_source = work / "source" / _name(source)
        local_source.parent.mkdir()
        if not remote.is_remote(source):  # to a remote output: read in place
            local_source = Path(remote.local_path(source))
        try:
            if remote.is_remote(source):
                remote.download(source, local_source, timeout)
        except remote.RemoteUnavailable as error:
            return RepairReport(
                source, ERROR, error=f"{source}: {error}; nothing written"
            )
        except FileNotFoundError:
            return RepairReport(
                source, ERROR, error=f"{source}: no such file; nothing written"
            )
        except Exception as error:  # noqa: BLE001 - any store's error is one line
            return RepairReport(
                source,
                ERROR,
                error=f"{source}: cannot read it ({_why(error)}); nothing written",
            )
        target = work / "output" / _name(output)
        target.parent.mkdir()
        local_target = (
            target if remote.is_remote(output) else Path(remote.local_path(output))
        )
        report = _local(local_source, local_target, False, options)
        report = _renamed(report, source, local_source, output)
        if report.exit_code != 0 or not remote.is_remote(output):
            return report
        try:
            remote.upload(target, output, timeout, replace=force)
        except FileExistsError:
            return RepairReport(
                source, ERROR,
                error=f"{output} appeared while repairing; left as it is (pass "
                "--force to overwrite it); nothing written",
            )  # fmt: skip
        except Exception as error:  # noqa: BLE001 - any store's error is one line
            return _cannot_write(source, output, error)
        return report


def _cannot_write(source: str, output: str, error: Exception) -> RepairReport:
    """The report of an output that could not be checked or written."""
    if isinstance(error, remote.RemoteUnavailable):  # says what to install
        return RepairReport(source, ERROR, error=f"{output}: {error}; nothing written")
    return RepairReport(
        source, ERROR, error=f"cannot write {output}: {_why(error)}; nothing written"
    )


def _name(url: str) -> str:
    return os.path.basename(url.rstrip("/")) or "model.keras"


def _why(error: BaseException) -> str:
    reason = getattr(error, "strerror", None)
    return reason or " ".join(str(error).split())[:300] or type(error).__name__


def _renamed(
    report: RepairReport, source: str, local_source: Path, output: str
) -> RepairReport:
    """The report with the temporary paths replaced by the user's names."""

    def named(text: str | None) -> str | None:
        if text is None:
            return None
        return text.replace(str(local_source), source)

    written = output if report.output is not None else None
    return RepairReport(
        source,
        report.status,
        output=written,
        backup=None,
        repairs=report.repairs,
        other=report.other,
        error=named(report.error),
    )
