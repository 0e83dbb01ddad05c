"""``repair`` for any source and output: local paths or URLs, one report.

A local repair is ``jobs/repair_local.py``: streamed, atomic, race-checked.
A remote source is downloaded to a private temporary folder first (the
weights are copied, so the whole file must be read) and repaired from
there; a remote output is written there first and uploaded only when
complete, as a conditional create unless ``force`` (S3 refuses it with a
412 when the object appeared meanwhile), so an existing object is never
replaced without ``force`` and a concurrent writer is never clobbered.
Repairing in place is refused for a remote file: an object store has no
atomic swap with a backup to match the local guarantees.

Every outcome is a :class:`RepairReport`, whose problem names the files as
the user named them (never the temporary copies the work was done on).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from keras_rescaling_patch.files.jobs.repair_local import (
    RepairRefused,
    check_destination,
)
from keras_rescaling_patch.files.jobs.repair_local import repair as repair_local
from keras_rescaling_patch.files.model.config_repair import NotExactlyRepairable
from keras_rescaling_patch.files.options import FORCE, IN_PLACE, OUTPUT, RepairOptions
from keras_rescaling_patch.files.problems import (
    INPUT,
    FileProblem,
    Message,
    Role,
    message,
    one_line,
    reason,
)
from keras_rescaling_patch.files.problems import OUTPUT as OUTPUT_FILE
from keras_rescaling_patch.files.reports.repair_report import (
    COPIED,
    ERROR,
    REFUSED,
    REPAIRED,
    UNCHANGED,
    RepairReport,
)
from keras_rescaling_patch.files.stores.location import LocalPath, Location, Url
from keras_rescaling_patch.files.stores.schemes import store_for

NOTHING_WRITTEN = "; nothing written"


def _failed(file: str, what: Message, names: dict[Role, str]) -> RepairReport:
    return RepairReport(file, ERROR, problem=(what + NOTHING_WRITTEN).naming(names))


def repair_file(
    source: Location, output: Location | None, options: RepairOptions
) -> RepairReport:
    """Repair ``source`` into ``output`` (or in place); never raises for a
    problem with the files."""
    names = {INPUT: source.text}
    if output is not None:
        names[OUTPUT_FILE] = output.text
        if not output.text:
            return _failed(source.text, message("the output's name is empty"), names)
        if output.text.endswith("/") or (
            isinstance(output, LocalPath) and output.path.endswith("/")
        ):
            return _failed(
                source.text,
                message(
                    OUTPUT_FILE, " names a folder; give the output file's own name"
                ),
                names,
            )
    if isinstance(source, Url) and source.names_folder:
        return _failed(
            source.text,
            message(INPUT, " names a folder or prefix; repair takes one file's URL"),
            names,
        )
    if isinstance(source, Url) or isinstance(output, Url):
        if options.in_place or output is None:
            return _failed(
                source.text,
                message(
                    INPUT,
                    ": ",
                    IN_PLACE,
                    " works on local files only; write the result elsewhere with ",
                    OUTPUT,
                    " (an existing object is never replaced without ",
                    FORCE,
                    ")",
                ),
                names,
            )
        return _remote(source, output, options, names)
    assert isinstance(source, LocalPath)
    target = Path(output.path) if isinstance(output, LocalPath) else None
    return _local(Path(source.path), target, options, source.path)


def _local(
    source: Path, output: Path | None, options: RepairOptions, shown: str
) -> RepairReport:
    """Repair a local file; ``shown``: how reports name it."""
    names = {INPUT: shown}
    if output is not None:
        names[OUTPUT_FILE] = str(output)
    try:
        outcome = repair_local(source, output, options)
    except NotExactlyRepairable as error:
        refusal = (
            message(INPUT, ": cannot repair exactly: ")
            + error.message
            + message("; nothing written")
        )
        if error.instead is not None:
            refusal = refusal + message(f"; {error.instead}")
        return RepairReport(shown, REFUSED, problem=refusal.naming(names))
    except RepairRefused as error:
        about = message(error.about, ": ") if error.about is not None else message()
        return _failed(shown, about + error.message, names)
    except FileProblem as error:
        return _failed(shown, message(INPUT, ": ") + error.message, names)
    except OSError as error:  # the output side: the input was read above
        side = OUTPUT_FILE if output is not None else INPUT
        return _failed(
            shown, message("cannot write ", side, f": {reason(error)}"), names
        )
    if not outcome.repairs:
        status = UNCHANGED if outcome.written is None else COPIED
    else:
        status = REPAIRED
    return RepairReport(
        shown,
        status,
        output=None if outcome.written is None else str(outcome.written),
        backup=None if outcome.backup is None else str(outcome.backup),
        repairs=outcome.repairs,
        other=outcome.other,
    )


def _remote(
    source: Location, output: Location, options: RepairOptions, names: dict[Role, str]
) -> RepairReport:
    timeout = options.limits.timeout
    if isinstance(output, Url):
        try:
            taken = not options.force and store_for(output, timeout).exists(output)
        except Exception as error:  # noqa: BLE001 - any store's error is one line
            return _cannot_write(source, error, names)
        if taken:
            return _failed(
                source.text,
                message(OUTPUT_FILE, " exists; pass ", FORCE, " to overwrite it"),
                names,
            )
    else:  # a local output: refused before a download that would be wasted
        try:
            check_destination(None, Path(output.path), options.force)
        except RepairRefused as error:
            return _failed(source.text, error.message, names)
    with tempfile.TemporaryDirectory(prefix="keras-rescaling-patch-") as folder:
        work = Path(folder)
        if isinstance(source, Url):
            local_source = work / "source" / source.basename
            local_source.parent.mkdir()
            failed = _download(source, local_source, timeout, names)
            if failed is not None:
                return failed
        else:  # to a remote output: read in place
            assert isinstance(source, LocalPath)
            local_source = Path(source.path)
        if isinstance(output, Url):
            target = work / "output" / output.basename
            target.parent.mkdir()
        else:
            target = Path(output.path)
        report = _local(local_source, target, options, source.text)
        report = _as_the_user_named_it(report, source, output, names)
        if report.exit_code != 0 or not isinstance(output, Url):
            return report
        try:
            store_for(output, timeout).upload(target, output, replace=options.force)
        except FileExistsError:
            return _failed(
                source.text,
                message(
                    OUTPUT_FILE,
                    " appeared while repairing; left as it is (pass ",
                    FORCE,
                    " to overwrite it)",
                ),
                names,
            )
        except Exception as error:  # noqa: BLE001 - any store's error is one line
            return _cannot_write(source, error, names)
        return report


def _download(
    source: Url, destination: Path, timeout: float, names: dict[Role, str]
) -> RepairReport | None:
    """Fetch ``source`` whole; a report if that failed."""
    try:
        store_for(source, timeout).download(source, destination)
    except FileProblem as problem:
        return _failed(source.text, message(INPUT, ": ") + problem.message, names)
    except FileNotFoundError:
        return _failed(source.text, message(INPUT, ": no such file"), names)
    except Exception as error:  # noqa: BLE001 - any store's error is one line
        why = getattr(error, "strerror", None) or one_line(error)
        return _failed(source.text, message(INPUT, f": cannot read it ({why})"), names)
    return None


def _cannot_write(
    source: Location, error: Exception, names: dict[Role, str]
) -> RepairReport:
    """The report of an output that could not be checked or written."""
    if isinstance(error, FileProblem):  # says what to install, or do
        return _failed(source.text, message(OUTPUT_FILE, ": ") + error.message, names)
    why = getattr(error, "strerror", None) or one_line(error)
    return _failed(
        source.text, message("cannot write ", OUTPUT_FILE, f": {why}"), names
    )


def _as_the_user_named_it(
    report: RepairReport, source: Location, output: Location, names: dict[Role, str]
) -> RepairReport:
    """The report of the work on the temporary copies, about the user's files."""
    return RepairReport(
        source.text,
        report.status,
        output=output.text if report.output is not None else None,
        backup=None,
        repairs=report.repairs,
        other=report.other,
        problem=None if report.problem is None else report.problem.naming(names),
    )
