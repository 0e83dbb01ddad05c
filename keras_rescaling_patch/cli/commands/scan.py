"""``scan`` on the command line: arguments in, each file's result out.

The work is the file tools' Python API (``keras_rescaling_patch.files.api``);
this module maps the flags to its arguments and hands each report to the
renderer of the format asked for (``files/reports/formats.py``), with the
command line's words for the settings a message names. Text and JSON list
files in the order they were found; JSON Lines writes each file's line the
moment its scan ends, so a long scan can be piped, and resumed with
``--resume``.
"""

from __future__ import annotations

import argparse
import time

import keras_rescaling_patch
from keras_rescaling_patch.cli.file_options import (
    add_config_limit,
    add_jobs,
    add_resume,
    add_selection,
    add_target_keras,
    add_timeout,
    codes,
    flag,
    setting_error,
)
from keras_rescaling_patch.cli.output import printable, say
from keras_rescaling_patch.cli.progress import progress_line
from keras_rescaling_patch.files import options
from keras_rescaling_patch.files.options import SettingError
from keras_rescaling_patch.files.reports.render import Line

FORMATS = ("text", "json", "jsonl", "sarif")
PROGRESS_AFTER_SECONDS = 1.0
DESCRIPTION = (
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
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        metavar="FILE|FOLDER|PATTERN|URL",
        nargs="+",
        help="model files, folders, glob patterns (quoted) or URLs",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json (one document), jsonl (a line per file, as "
        "each is done) or sarif (SARIF 2.1.0, for code scanning)",
    )
    parser.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="the same as --format json",
    )
    add_selection(parser)
    add_jobs(parser, "scanned")
    add_timeout(parser)
    add_config_limit(parser)
    parser.add_argument(
        flag(options.MAX_READ),
        metavar="MIB",
        default=options.DEFAULT_MAX_READ_MIB,
        help="read at most this much of a remote legacy .h5 file, in MiB "
        f"(default {options.DEFAULT_MAX_READ_MIB}); its config must lie within it",
    )
    add_resume(parser, "read", "their results still count for the exit code")
    add_target_keras(parser, "judge against")
    parser.add_argument(
        flag(options.SELECT),
        metavar="CODES",
        type=codes,
        default=[],
        action="extend",
        help="report only these rules (KRP001,KRP003...; repeatable)",
    )
    parser.add_argument(
        flag(options.IGNORE),
        metavar="CODES",
        type=codes,
        default=[],
        action="extend",
        help="leave these rules out (repeatable)",
    )


def run(arguments: argparse.Namespace) -> int:
    """Scan every input; print each file's result, then the summary."""
    from keras_rescaling_patch.files import api
    from keras_rescaling_patch.files.reports import json_lines
    from keras_rescaling_patch.files.reports.formats import SCAN_FORMATS
    from keras_rescaling_patch.files.reports.render import Context
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
    renderer = SCAN_FORMATS[arguments.format](
        Context(flag, keras_rescaling_patch.__version__, "scan")
    )
    try:
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
    except SettingError as error:
        return setting_error(arguments.parser, "scan", error)
    kept: list[FileReport] = []
    # A stream of lines needs no progress line; a document at the end does.
    with progress_line(
        enabled=arguments.format != "jsonl", after=PROGRESS_AFTER_SECONDS
    ) as line:
        for report in reports:
            summary.add(report)
            line.show(
                lambda: (
                    f"scan: {summary.files} files, {summary.affected} affected, "
                    f"{summary.errors} errors..."
                )
            )
            if renderer.per_file:
                write_lines(renderer.file(report), flush=arguments.format == "jsonl")
            else:
                kept.append(report)
    write_lines(renderer.end(kept, summary, time.monotonic() - started))
    return summary.exit_code


def write_lines(lines: list[Line], flush: bool = False) -> None:
    """A renderer's lines, with what a terminal must not be sent escaped."""
    for shown in lines:
        text = shown.text if shown.exact else printable(shown.text)
        say(text, error=shown.error, flush=flush)
