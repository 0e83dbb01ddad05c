"""``scan`` and ``repair`` on the command line: arguments in, results out.

The work is the file tools' Python API (``keras_rescaling_patch.files``);
this module parses the options, and prints each file's result as text,
JSON, JSON Lines or SARIF, and the summary. Text and JSON list files in
the order they were found; JSON Lines writes each file's line the moment
its scan ends, so a long scan can be piped, and resumed with ``--resume``.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import time
from collections.abc import Iterator
from typing import Any

import keras_rescaling_patch
from keras_rescaling_patch.cli.output import printable, say, write
from keras_rescaling_patch.cli.progress import copy_progress, progress_line, size_text

FORMATS = ("text", "json", "jsonl", "sarif")
PROGRESS_AFTER_SECONDS = 1.0


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _add_config_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-config-mib",
        metavar="MIB",
        type=positive_number,
        default=16,
        help="refuse a model config larger than this, in MiB (default 16)",
    )


def seconds(text: str) -> float:
    value = positive_number(text)
    if value > 24 * 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is more than a day")
    return value


def _add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=seconds,
        default=30,
        help="give up on a request to a remote store after this long (default 30)",
    )


# -- scan -----------------------------------------------------------------


def add_scan(commands: Any) -> None:
    scan = commands.add_parser(
        "scan",
        help="list array-valued Rescaling arguments in model files, folders, "
        "patterns and URLs",
        description=(
            "Read only the model config of each file (config.json of a .keras "
            "archive, found through the archive's directory; a model .json from "
            "to_json; the config inside a legacy .h5 model) and list every "
            "Rescaling whose scale or offset is a serialized array, which stock "
            "Keras 3.0-3.4 cannot run. Takes files, folders (walked), glob "
            "patterns and URLs (https://, and s3://, gs://, az://, hf://... with "
            "fsspec installed): from a folder, prefix or pattern only .keras, .h5 "
            "and .hdf5 files are taken. A remote .keras file costs a few "
            "kilobytes, never its weights. Never imports Keras. Exit 0: nothing "
            "affected; 1: affected layers found (or array-valued scale/offset in "
            "layers of other classes, such as registered subclasses); 2: a file "
            "could not be read. The worst file decides."
        ),
    )
    scan.add_argument(
        "inputs",
        metavar="FILE|FOLDER|PATTERN|URL",
        nargs="+",
        help="model files, folders, glob patterns (quoted) or URLs",
    )
    scan.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json (one document), jsonl (a line per file, as "
        "each is done) or sarif (SARIF 2.1.0, for code scanning)",
    )
    scan.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="the same as --format json",
    )
    scan.add_argument(
        "--include",
        metavar="GLOB",
        action="append",
        default=[],
        help="from folders, prefixes and patterns, take only files whose path "
        "below the folder (or URL) matches (repeatable)",
    )
    scan.add_argument(
        "--exclude",
        metavar="GLOB",
        action="append",
        default=[],
        help="from folders, prefixes and patterns, leave out files whose path "
        "below the folder (or URL) matches (repeatable)",
    )
    scan.add_argument(
        "--jobs",
        metavar="N",
        type=positive_int,
        help="files scanned at once (default: 16 with a URL among the inputs, else 1)",
    )
    _add_timeout(scan)
    _add_config_limit(scan)
    scan.add_argument(
        "--max-read-mib",
        metavar="MIB",
        type=positive_number,
        default=8,
        help="read at most this much of a remote legacy .h5 file, in MiB "
        "(default 8); its config must lie within it",
    )
    scan.add_argument(
        "--resume",
        metavar="JSONL",
        help="skip the files a previous --format jsonl output lists as read "
        "(their results still count for the exit code)",
    )
    scan.set_defaults(handler=command_scan)


def _previous(path: str | None) -> dict[str, int]:
    """File -> exit code, from a previous JSON Lines output (none yet: the
    first run of a resumable scan)."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise _CannotResume(
            f"--resume: cannot read {path} ({error.strerror})"
        ) from None
    if data and not data.endswith(b"\n"):
        raise _CannotResume(
            f"--resume: the last line of {path} is cut short (a scan stopped while "
            "writing it?); end or remove that line, then resume"
        )
    done: dict[str, int] = {}
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            file, status = entry["file"], entry["status"]
            code = int(entry.get("exit_code", 0))
        except (ValueError, TypeError, KeyError):
            raise _CannotResume(
                f"--resume: line {number} of {path} is not a line of scan's "
                "--format jsonl output"
            ) from None
        if status != "error":
            done[str(file)] = code
    return done


class _CannotResume(Exception):
    """The --resume file exists but cannot be read; the message says why."""


def command_scan(arguments: argparse.Namespace) -> int:
    """Scan every input; print each file's result, then the summary."""
    from keras_rescaling_patch.files import api
    from keras_rescaling_patch.files.reports import FileReport, Summary

    try:
        previous = _previous(arguments.resume)
    except _CannotResume as error:
        say(f"scan: {printable(error)}", error=True)
        return 2
    started = time.monotonic()
    reports: Iterator[FileReport] = api.scan_many(
        arguments.inputs,
        include=arguments.include,
        exclude=arguments.exclude,
        jobs=arguments.jobs,
        max_config_mib=arguments.max_config_mib,
        max_read_mib=arguments.max_read_mib,
        timeout=arguments.timeout,
        skip=previous,
        on_skip=lambda name: skipped.__setitem__(name, previous[name]),
        ordered=arguments.format != "jsonl",
    )
    summary = Summary()
    kept: list[FileReport] = []
    skipped: dict[str, int] = {}
    watched = arguments.format in ("text", "sarif", "json")
    with progress_line(enabled=watched, after=PROGRESS_AFTER_SECONDS) as line:
        for report in reports:
            summary.add(report)
            line.show(
                lambda: (
                    f"scan: {summary.files} files, {summary.affected} affected, "
                    f"{summary.errors} errors..."
                )
            )
            if arguments.format == "jsonl":
                write(json.dumps(report.as_dict()) + "\n", flush=True)
            elif arguments.format == "text":
                _print_report(report)
            else:
                kept.append(report)
    exit_code = max([summary.exit_code, *skipped.values()])
    if arguments.format == "json":
        document = {
            "files": [report.as_dict() for report in kept],
            "summary": summary.as_dict(),
            "exit_code": exit_code,
        }
        say(json.dumps(document, indent=2))
    elif arguments.format == "sarif":
        from keras_rescaling_patch.files import sarif

        version = keras_rescaling_patch.__version__
        say(json.dumps(sarif.document(kept, version), indent=2))
    elif arguments.format == "text" and (summary.files > 1 or skipped):
        # One file named on its own gets its answer without a summary.
        _print_summary(summary, time.monotonic() - started, len(skipped))
    return exit_code


def _print_summary(summary: Any, seconds: float, resumed: int) -> None:
    skipped = f" ({resumed} skipped: already scanned)" if resumed else ""
    say(
        f"scanned {summary.files} file(s){skipped}: {summary.affected} affected, "
        f"{summary.suspect} suspect, {summary.clean} clean, {summary.errors} "
        f"error(s); {size_text(summary.bytes_read)} read in {seconds:.1f} s"
    )


def _print_report(report: Any) -> None:
    shown = printable(report.file)
    if report.error is not None:
        say(f"scan: {shown}: {printable(report.error)}", error=True)
        return
    kind = " (legacy HDF5 model)" if report.format == "hdf5" else ""
    if report.suspect and not report.affected:
        say(
            f"{shown}{kind}: {len(report.suspect)} array-valued scale/offset "
            "argument(s) of other layer classes; stock Keras 3.0-3.4 probably "
            "cannot run this file"
        )
    elif report.affected:
        say(
            f"{shown}{kind}: {len(report.affected)} array-valued Rescaling "
            "argument(s); stock Keras 3.0-3.4 cannot run this file"
        )
    elif report.format == "hdf5":
        say(
            f"{shown}: legacy HDF5 model, not affected: its Rescaling arguments, "
            "if any, are plain numbers or lists, which Keras 3.0-3.4 load"
        )
    else:
        say(f"{shown}: no array-valued Rescaling arguments")
    for finding in report.affected:
        say(
            argument_text(finding.path, finding.key, finding.marker, finding.dtype)
            + f" shape {shape_text(finding.shape or ())}"
        )
    for finding in report.suspect:
        say(
            argument_text(finding.path, finding.key, finding.marker, finding.dtype)
            + f": a {printable(finding.layer_class)} layer, not "
            "keras.layers.Rescaling (a subclass?): stock Keras 3.0-3.4 fails on "
            "it too unless its own code restores the array"
        )
    for finding in report.other:
        say(f"  other array-valued config (information only): {where(finding)}")


def shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def where(finding: Any) -> str:
    """Where an array sits in the config, and what it is."""
    return printable(f"{finding.path} {finding.key}  {finding.marker} {finding.dtype}")


def argument_text(path: str, key: str, marker: str, dtype: object) -> str:
    """``  layer/path  scale  __numpy__ float64``: one array-valued argument."""
    argument = key.rsplit(".", 1)[-1]
    return f"  {printable(path)}  {argument}  {marker} {printable(dtype)}"


# -- repair ---------------------------------------------------------------


def add_repair(commands: Any) -> None:
    repair = commands.add_parser(
        "repair",
        help="rewrite array-valued Rescaling arguments so stock Keras 3.0-3.4 "
        "can load the file",
        description=(
            "Rewrite each array-valued Rescaling scale/offset in a .keras "
            "archive (or model .json) as a plain list holding exactly the "
            "values the layer computes with; every other archive member is "
            "copied byte for byte. The output appears only when complete. IN may "
            "be a URL (https:// or http://; s3://, gs://, az://... with fsspec "
            "installed), and so may OUT (an fsspec store; written as a "
            "conditional create). Exit 0: repaired, or nothing to repair; 1: a "
            "value cannot be written exactly, or a layer of another class holds "
            "an array (nothing written); 2: bad input, or OUT exists or cannot "
            "be written (nothing written)."
        ),
    )
    repair.add_argument(
        "file", metavar="IN", help="a .keras archive or model .json (path or URL)"
    )
    target = repair.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "-o", "--output", metavar="OUT", help="where to write the result (path or URL)"
    )
    target.add_argument(
        "--in-place",
        action="store_true",
        help="replace IN (a local file), keeping IN.bak",
    )
    repair.add_argument(
        "--no-backup", action="store_true", help="with --in-place: keep no IN.bak"
    )
    repair.add_argument(
        "--force", action="store_true", help="overwrite an existing OUT or IN.bak"
    )
    repair.add_argument(
        "--no-sync",
        action="store_true",
        help="do not wait for the output to reach the disk (faster; a power "
        "cut right after may lose it)",
    )
    _add_config_limit(repair)
    repair.add_argument(
        "--max-array-elements",
        metavar="N",
        type=positive_int,
        default=1_000_000,
        help="refuse a scale or offset holding more values (default 1000000)",
    )
    _add_timeout(repair)
    repair.set_defaults(handler=command_repair)


class _Terminated(BaseException):
    """SIGTERM arrived: unwind (removing the temporary file), then exit.

    A ``BaseException``, like ``KeyboardInterrupt``: the file tools turn any
    ``Exception`` from a store into a one-line report, and a signal must
    not become "cannot read it"."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def command_repair(arguments: argparse.Namespace) -> int:
    """Rewrite array-valued Rescaling arguments so stock Keras 3.0-3.4 loads."""
    import os

    from keras_rescaling_patch.files import api, remote

    source: str = arguments.file
    if arguments.no_backup and not arguments.in_place:
        say("repair: --no-backup only goes with --in-place", error=True)
        return 2
    try:
        total = 0 if remote.is_remote(source) else os.stat(source).st_size
    except OSError:
        total = 0  # repair says what is wrong with it
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with copy_progress(f"repair {os.path.basename(source)}", total) as advance:
            report = api.repair(
                source,
                arguments.output,
                in_place=arguments.in_place,
                backup=not arguments.no_backup,
                force=arguments.force,
                sync=not arguments.no_sync,
                max_config_mib=arguments.max_config_mib,
                max_array_elements=arguments.max_array_elements,
                timeout=arguments.timeout,
                progress=advance,
            )
    except KeyboardInterrupt:
        say("repair: interrupted; nothing written", error=True)
        return 130
    except _Terminated:
        say("repair: terminated; nothing written", error=True)
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
    if report.error is not None:
        say(f"repair: {printable(report.error)}", error=True)
        return report.exit_code
    _print_repair(report)
    return 0


def _print_repair(report: Any) -> None:
    shown = printable(report.file)
    if not report.repairs:
        done = (
            "left unchanged"
            if report.output is None
            else f"copied unchanged to {printable(report.output)}"
        )
        say(f"{shown}: nothing to repair (no array-valued Rescaling arguments); {done}")
    else:
        if report.output == report.file:
            kept = printable(report.backup) if report.backup else "no backup"
            where_to = f"{shown} in place (original: {kept})"
        else:
            where_to = f"{shown} -> {printable(report.output)}"
        count = len(report.repairs)
        say(f"repaired {where_to}: {count} Rescaling argument(s) now plain lists")
        for item in report.repairs:
            say(
                argument_text(item.path, item.argument, item.marker, item.stored_dtype)
                + f" shape {shape_text(item.shape)} -> plain list (computes in "
                f"{item.compute_dtype})"
            )
            if item.non_finite:
                say(
                    f"  note: {printable(item.path)} {item.argument} computes "
                    f"as infinity or NaN in {item.compute_dtype}, as it did "
                    "before; config.json now spells it Infinity or NaN, which "
                    "Keras reads but strict JSON parsers refuse",
                    error=True,
                )
    for finding in report.other:
        say(f"  other array-valued config, left as it is: {where(finding)}")
