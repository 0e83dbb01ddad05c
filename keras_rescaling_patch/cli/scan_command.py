"""``scan`` on the command line: arguments in, each file's result out.

The work is the file tools' Python API (``keras_rescaling_patch.files.api``);
this module parses the options and prints each report as text, JSON, JSON
Lines or SARIF (``files/reports/``), with the command line's words for the
settings a message names. Text and JSON list files in the order they were
found; JSON Lines writes each file's line the moment its scan ends, so a
long scan can be piped, and resumed with ``--resume``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import keras_rescaling_patch
from keras_rescaling_patch.cli.file_options import (
    add_config_limit,
    add_timeout,
    flag,
    positive_int,
    positive_number,
)
from keras_rescaling_patch.cli.output import printable, say, write
from keras_rescaling_patch.cli.progress import progress_line
from keras_rescaling_patch.files import options

FORMATS = ("text", "json", "jsonl", "sarif")
PROGRESS_AFTER_SECONDS = 1.0


def add_scan(commands: Any) -> None:
    scan = commands.add_parser(
        "scan",
        help="find the serialized arrays stock Keras cannot restore in model "
        "files, folders, patterns and URLs",
        description=(
            "Read only the model config of each file (config.json of a .keras "
            "archive, found through the archive's directory; a model .json from "
            "to_json; the config inside a legacy .h5 model) and judge every "
            "serialized array (__numpy__, __tensor__, __bytes__) that reaches a "
            "constructor: the class it is given to, the argument, and which "
            "stock Keras releases do not restore it (Rescaling's scale and offset "
            "before 3.5.0, most classes' arguments on every release). Takes files, "
            "folders (walked), glob patterns and URLs (https://, and s3://, gs://, "
            "az://, hf://... with fsspec installed): from a folder, prefix or "
            "pattern only .keras, .h5 and .hdf5 files are taken. A remote .keras "
            "file costs a few kilobytes, never its weights. Never imports Keras. "
            "Exit 0: nothing the targeted releases cannot restore; 1: something "
            "they cannot, or an array in a class this package does not know; 2: "
            "a file could not be read. The worst file decides."
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
        help=f"files scanned at once (default: {options.REMOTE_JOBS} with a URL "
        f"among the inputs, else {options.LOCAL_JOBS})",
    )
    add_timeout(scan)
    add_config_limit(scan)
    scan.add_argument(
        flag(options.MAX_READ),
        metavar="MIB",
        type=positive_number,
        default=options.DEFAULT_MAX_READ_MIB,
        help="read at most this much of a remote legacy .h5 file, in MiB "
        f"(default {options.DEFAULT_MAX_READ_MIB}); its config must lie within it",
    )
    scan.add_argument(
        "--resume",
        metavar="JSONL",
        help="skip the files a previous --format jsonl output lists as read "
        "(their results still count for the exit code)",
    )
    scan.add_argument(
        flag(options.TARGET_KERAS),
        metavar="VERSION",
        action="append",
        type=target_keras,
        default=[],
        help="judge against these Keras releases only: 3.4.1, 3.4 (every 3.4.x), "
        "3.0-3.4, or 3.5+ (repeatable; default: every Keras 3 release)",
    )
    scan.add_argument(
        "--select",
        metavar="CODES",
        type=rule_codes,
        default=[],
        action="extend",
        help="report only these rules (KRP001,KRP003...; repeatable)",
    )
    scan.add_argument(
        "--ignore",
        metavar="CODES",
        type=rule_codes,
        default=[],
        action="extend",
        help="leave these rules out (repeatable)",
    )
    scan.set_defaults(handler=command_scan)


def target_keras(text: str) -> str:
    try:
        options.Targets.parse([text])
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def rule_codes(text: str) -> list[str]:
    from keras_rescaling_patch.files.model.restoration import RULE_CODES

    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    if not codes:
        raise argparse.ArgumentTypeError("no rule code given (such as KRP003)")
    for code in codes:
        if code not in RULE_CODES:
            known = ", ".join(sorted(RULE_CODES))
            raise argparse.ArgumentTypeError(f"no rule {code!r}; the rules are {known}")
    return codes


def command_scan(arguments: argparse.Namespace) -> int:
    """Scan every input; print each file's result, then the summary."""
    import json

    from keras_rescaling_patch.files import api
    from keras_rescaling_patch.files.reports import json_lines, sarif, text
    from keras_rescaling_patch.files.reports.scan_report import FileReport, Summary

    previous: dict[str, int] = {}
    if arguments.resume is not None:
        try:
            previous = json_lines.read_results(arguments.resume)
        except json_lines.CannotResume as error:
            say(f"scan: --resume: {printable(error.message.render(flag))}", error=True)
            return 2
    summary = Summary()
    started = time.monotonic()
    reports = api.scan_many(
        arguments.inputs,
        include=arguments.include,
        exclude=arguments.exclude,
        jobs=arguments.jobs,
        max_config_mib=arguments.max_config_mib,
        max_read_mib=arguments.max_read_mib,
        timeout=arguments.timeout,
        skip=previous,
        on_skip=lambda name: summary.add_skipped(previous[name]),
        ordered=arguments.format != "jsonl",
        target_keras=arguments.target_keras,
        select=arguments.select,
        ignore=arguments.ignore,
    )
    kept: list[FileReport] = []
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
                write(json_lines.line(report, flag), flush=True)
            elif arguments.format == "text":
                for shown in text.scan_lines(report, flag, "scan"):
                    say(printable(shown.text), error=shown.error)
            else:
                kept.append(report)
    if arguments.format == "json":
        say(json_lines.document(kept, summary, flag))
    elif arguments.format == "sarif":
        version = keras_rescaling_patch.__version__
        log = sarif.document(kept, version, spelling=flag, skipped=summary.skipped)
        say(json.dumps(log, indent=2))
    elif arguments.format == "text" and (summary.files > 1 or summary.skipped):
        # One file named on its own gets its answer without a summary.
        say(printable(text.summary_line(summary, time.monotonic() - started).text))
    return summary.exit_code
