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

Every outcome is a :class:`RepairReport`. Its problem names the files by
their role (input, output), and :func:`repair_file` names the roles once,
as the user named the files: never the temporary copies the work was done
on.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from keras_rescaling_patch.files.jobs.repair_local import (
    Output,
    RepairRefused,
    check_destination,
)
from keras_rescaling_patch.files.jobs.repair_local import repair as repair_local
from keras_rescaling_patch.files.judgement.exactness import NotExactlyRepairable
from keras_rescaling_patch.files.judgement.porting import NotPortable
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


def _failed(what: Message) -> RepairReport:
    return RepairReport("", ERROR, problem=what + NOTHING_WRITTEN)


def repair_file(
    source: Location, output: Location | None, options: RepairOptions
) -> RepairReport:
    """Repair ``source`` into ``output`` (``None``: in place, as the options
    say); never raises for a problem with the files."""
    names: dict[Role, str] = {INPUT: source.text}
    if output is not None:
        names[OUTPUT_FILE] = output.text
    report = replace(_repair(source, output, options), file=source.text)
    if output is None and report.output is not None:  # in place
        report = replace(report, output=source.text)
    return report.naming(names)


def _repair(
    source: Location, output: Location | None, options: RepairOptions
) -> RepairReport:
    if output is not None:
        if not output.text:
            return _failed(message("the output's name is empty"))
        if output.text.endswith("/") or (
            isinstance(output, LocalPath) and output.path.endswith("/")
        ):
            return _failed(
                message(OUTPUT_FILE, " names a folder; give the output file's own name")
            )
    if isinstance(source, Url) and source.names_folder:
        return _failed(
            message(INPUT, " names a folder or prefix; repair takes one file's URL")
        )
    if isinstance(source, Url) or isinstance(output, Url):
        if output is None:
            return _failed(
                message(
                    INPUT,
                    ": ",
                    IN_PLACE,
                    " works on local files only; write the result elsewhere with ",
                    OUTPUT,
                    " (an existing object is never replaced without ",
                    FORCE,
                    ")",
                )
            )
        return _remote(source, output, options)
    assert isinstance(source, LocalPath)
    checked = None
    if output is not None:
        assert isinstance(output, LocalPath)
        try:
            checked = check_destination(
                Path(source.path), Path(output.path), options.force
            )
        except RepairRefused as error:
            return _failed(error.message)
    return _local(Path(source.path), checked, options)


def _local(source: Path, output: Output | None, options: RepairOptions) -> RepairReport:
    """Repair a local file into a checked output (``None``: in place)."""
    try:
        outcome = repair_local(source, output, options)
    except NotExactlyRepairable as error:
        refusal = message(INPUT, ": cannot repair exactly: ") + error.message
        refusal += message(NOTHING_WRITTEN)
        if error.instead is not None:
            refusal += message(f"; {error.instead}")
        return RepairReport("", REFUSED, problem=refusal)
    except NotPortable as error:
        refusal = message(INPUT, ": cannot port to the targeted releases: ")
        refusal += error.message + message(NOTHING_WRITTEN)
        return RepairReport("", REFUSED, problem=refusal)
    except RepairRefused as error:
        about = message(error.about, ": ") if error.about is not None else message()
        return _failed(about + error.message)
    except FileProblem as error:
        return _failed(message(INPUT, ": ") + error.message)
    except OSError as error:  # the output side: the input was read above
        side = OUTPUT_FILE if output is not None else INPUT
        return _failed(message("cannot write ", side, f": {reason(error)}"))
    if not outcome.repairs and not outcome.ports:
        status = UNCHANGED if outcome.written is None else COPIED
    else:
        status = REPAIRED
    return RepairReport(
        str(source),
        status,
        output=None if outcome.written is None else str(outcome.written),
        backup=None if outcome.backup is None else str(outcome.backup),
        repairs=outcome.repairs,
        other=outcome.other,
        ports=outcome.ports,
        targets=outcome.targets,
    )


def _remote(source: Location, output: Location, options: RepairOptions) -> RepairReport:
    timeout = options.limits.timeout
    checked: Output | None = None
    if isinstance(output, Url):
        try:
            taken = not options.force and store_for(output, timeout).exists(output)
        except Exception as error:  # noqa: BLE001 - any store's error is one line
            return _cannot_write(error)
        if taken:
            return _failed(
                message(OUTPUT_FILE, " exists; pass ", FORCE, " to overwrite it")
            )
    else:  # a local output: refused before a download that would be wasted
        try:
            checked = check_destination(None, Path(output.path), options.force)
        except RepairRefused as error:
            return _failed(error.message)
    with tempfile.TemporaryDirectory(prefix="keras-rescaling-patch-") as folder:
        work = Path(folder)
        if isinstance(source, Url):
            local_source = work / "source" / source.basename
            local_source.parent.mkdir()
            failed = _download(source, local_source, timeout)
            if failed is not None:
                return failed
        else:  # to a remote output: read in place
            assert isinstance(source, LocalPath)
            local_source = Path(source.path)
        if isinstance(output, Url):
            (work / "output").mkdir()
            checked = Output(work / "output" / output.basename)  # a new folder
        assert checked is not None
        report = _local(local_source, checked, options)
        if report.output is not None:  # the user's name, not the temporary one
            report = replace(report, output=output.text, backup=None)
        if report.exit_code != 0 or not isinstance(output, Url):
            return report
        try:
            store_for(output, timeout).upload(
                checked.path, output, replace=options.force
            )
        except FileExistsError:
            return _failed(
                message(
                    OUTPUT_FILE,
                    " appeared while repairing; left as it is (pass ",
                    FORCE,
                    " to overwrite it)",
                )
            )
        except Exception as error:  # noqa: BLE001 - any store's error is one line
            return _cannot_write(error)
        return report


def _download(source: Url, destination: Path, timeout: float) -> RepairReport | None:
    """Fetch ``source`` whole; a report if that failed."""
    try:
        store_for(source, timeout).download(source, destination)
    except FileProblem as problem:
        return _failed(message(INPUT, ": ") + problem.message)
    except FileNotFoundError:
        return _failed(message(INPUT, ": no such file"))
    except Exception as error:  # noqa: BLE001 - any store's error is one line
        why = getattr(error, "strerror", None) or one_line(error)
        return _failed(message(INPUT, f": cannot read it ({why})"))
    return None


def _cannot_write(error: Exception) -> RepairReport:
    """The report of an output that could not be checked or written."""
    if isinstance(error, FileProblem):  # says what to install, or do
        return _failed(message(OUTPUT_FILE, ": ") + error.message)
    why = getattr(error, "strerror", None) or one_line(error)
    return _failed(message("cannot write ", OUTPUT_FILE, f": {why}"))
