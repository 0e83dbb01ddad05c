"""``repair`` on the command line: arguments in, what was done out.

The work is the file tools' Python API; this module maps the flags to its
arguments and prints each report through the renderer of the format asked
for (``files/reports/formats.py``) with the command line's words. One file
is repaired into an output file, with a progress line for a big one on a
terminal; SIGTERM ends it cleanly (the temporary file removed, exit 143).
Folders, patterns, prefixes and several files are repaired into an output
folder (or in place), a report per file as each ends; the first SIGINT or
SIGTERM starts no further file, lets those under way finish, and exits
130 or 143, so ``--resume`` takes up exactly where the run stopped.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import keras_rescaling_patch
from keras_rescaling_patch.cli.commands.scan import PROGRESS_AFTER_SECONDS, write_lines
from keras_rescaling_patch.cli.file_options import (
    add_config_limit,
    add_jobs,
    add_resume,
    add_selection,
    add_target_keras,
    add_timeout,
    flag,
    setting_error,
)
from keras_rescaling_patch.cli.output import printable, say
from keras_rescaling_patch.cli.progress import copy_progress, progress_line
from keras_rescaling_patch.cli.signals import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    Terminated,
    stopping_on_signals,
    terminated_raises,
)
from keras_rescaling_patch.files import options
from keras_rescaling_patch.files.options import SettingError

if TYPE_CHECKING:
    from keras_rescaling_patch.files.reports.render import RepairRenderer
    from keras_rescaling_patch.files.reports.repair_report import (
        RepairReport,
        RepairSummary,
    )

FORMATS = ("text", "json", "jsonl")
DESCRIPTION = (
    "Rewrite each serialized array that some stock Keras release hands "
    "to a constructor unrestored, in a .keras archive (or model .json), "
    "as a plain list, number or string holding exactly the values the "
    "class computes with (a Rescaling's rounded to its compute dtype), and "
    "port a file saved by a newer Keras for the targeted releases; every "
    "other archive member is copied byte for byte. An output appears only "
    "when complete. IN may be one file, written to OUT, or folders, glob "
    "patterns (quoted) and URL prefixes, as scan takes them, each file "
    "written below the folder OUT where it was below its input (or "
    "--in-place). IN and OUT may be URLs (https:// or http:// to read; "
    "s3://, gs://, az://... with fsspec installed; an object is written as "
    "a conditional create). Exit 0: repaired, or nothing to repair; 1: a "
    "value cannot be written exactly, or a class this package does not "
    "know holds an array (nothing written); 2: bad input, or OUT exists or "
    "cannot be written (nothing written); with many files, the worst file "
    "decides; 130 or 143: stopped by Ctrl-C or SIGTERM (the files under way "
    "finished first)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        metavar="IN",
        nargs="+",
        help="a .keras archive or model .json (path or URL); or folders, glob "
        "patterns (quoted) and URL prefixes",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="where to write: the file (for one IN file), or the folder or URL "
        "prefix the results go below (one IN file into OUT/ or an existing "
        "folder goes there by its own name)",
    )
    parser.add_argument(
        flag(options.IN_PLACE),
        action="store_true",
        help="replace each input (local files), keeping FILE.bak",
    )
    parser.add_argument(
        flag(options.NO_BACKUP),
        action="store_true",
        help="with --in-place: keep no FILE.bak",
    )
    parser.add_argument(
        flag(options.FORCE),
        action="store_true",
        help="overwrite an existing output or FILE.bak",
    )
    parser.add_argument(
        flag(options.SYNC),
        action="store_true",
        help="do not wait for each output to reach the disk (faster; a power "
        "cut right after may lose it)",
    )
    parser.add_argument(
        flag(options.ALLOW_ROUNDING),
        action="store_true",
        help="where a class cannot get a saved float exactly from a plain "
        "number, write the nearest one it computes with (the report says each "
        "value written and how far it moved); complex and out-of-range values "
        "are still refused",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json (one document) or jsonl (a line per file, "
        "as each is done)",
    )
    add_selection(parser)
    add_jobs(parser, "repaired")
    add_resume(
        parser,
        "done into this run's output (or in place)",
        "refused files, errors and files written elsewhere are taken again",
    )
    add_config_limit(parser)
    parser.add_argument(
        flag(options.MAX_ARRAY_ELEMENTS),
        metavar="N",
        default=options.DEFAULT_MAX_ARRAY_ELEMENTS,
        help="refuse a serialized array holding more values (default "
        f"{options.DEFAULT_MAX_ARRAY_ELEMENTS})",
    )
    add_timeout(parser)
    add_target_keras(parser, "make the files load on")


def _common(arguments: argparse.Namespace) -> dict[str, Any]:
    """The API's arguments every repair takes, from the flags."""
    return {
        "in_place": arguments.in_place,
        "backup": not arguments.no_backup,
        "force": arguments.force,
        "sync": not arguments.no_sync,
        "max_config_mib": arguments.max_config_mib,
        "max_array_elements": arguments.max_array_elements,
        "timeout": arguments.timeout,
        "target_keras": arguments.target_keras,
        "allow_rounding": arguments.allow_rounding,
    }


def run(arguments: argparse.Namespace) -> int:
    """Rewrite what stock Keras cannot restore; say what was done."""
    from keras_rescaling_patch.files import api

    inputs, output = arguments.inputs, arguments.output
    many = (
        len(inputs) > 1
        or arguments.include
        or arguments.exclude
        or arguments.resume is not None
        or (inputs[0] != "" and not api.names_one_file(inputs[0]))
        # One file into a folder goes there by its own name.
        or (bool(output) and not api.names_one_file(output))
    )
    try:
        if many:
            return _many(arguments)
        return _one(arguments)
    except SettingError as error:
        return setting_error(arguments.parser, "repair", error)


def _renderer(arguments: argparse.Namespace) -> RepairRenderer:
    from keras_rescaling_patch.files.reports.formats import REPAIR_FORMATS
    from keras_rescaling_patch.files.reports.render import Context

    return REPAIR_FORMATS[arguments.format](
        Context(flag, keras_rescaling_patch.__version__, "repair")
    )


def _one(arguments: argparse.Namespace) -> int:
    """One file into an output file (or in place)."""
    from keras_rescaling_patch.files import api
    from keras_rescaling_patch.files.reports.repair_report import RepairSummary

    source = arguments.inputs[0]
    try:  # a big local file gets a progress line; anything else, none
        total = os.stat(source).st_size
    except (OSError, ValueError):
        total = 0
    started = time.monotonic()
    try:
        name = os.path.basename(source)
        with terminated_raises(), copy_progress(f"repair {name}", total) as advance:
            report = api.repair(
                source, arguments.output, progress=advance, **_common(arguments)
            )
    except KeyboardInterrupt:
        say("repair: interrupted; nothing written", error=True)
        return EXIT_INTERRUPTED
    except Terminated:
        say("repair: terminated; nothing written", error=True)
        return EXIT_TERMINATED
    renderer = _renderer(arguments)
    summary = RepairSummary()
    summary.add(report)
    write_lines(renderer.file(report))
    write_lines(renderer.end([report], summary, time.monotonic() - started))
    return report.exit_code


def _many(arguments: argparse.Namespace) -> int:
    """Every file the inputs stand for, each into the output folder (or in
    place); stopped gently by the first SIGINT or SIGTERM."""
    from keras_rescaling_patch.files import api
    from keras_rescaling_patch.files.reports import json_lines
    from keras_rescaling_patch.files.reports.repair_report import RepairSummary

    previous: dict[str, int] = {}
    if arguments.resume is not None:
        try:
            results = json_lines.read_repairs(arguments.resume)
        except json_lines.CannotResume as error:
            say(
                f"repair: {flag(options.RESUME)}: "
                f"{printable(error.message.render(flag))}",
                error=True,
            )
            return 2
        previous = api.repairs_done(results, arguments.output)
        elsewhere = sum(
            1
            for file, (status, _, _) in results.items()
            if status in ("repaired", "copied", "unchanged") and file not in previous
        )
        if elsewhere:
            say(
                f"repair: {flag(options.RESUME)}: {elsewhere} file(s) it lists as "
                "done were written elsewhere than this run writes; taken again",
                error=True,
            )
    summary = RepairSummary()
    renderer = _renderer(arguments)
    started = time.monotonic()
    kept: list[RepairReport] = []
    try:
        with stopping_on_signals() as stop:
            _take(arguments, previous, summary, renderer, kept, stop.event)
    except KeyboardInterrupt:  # a second Ctrl-C: those under way not written
        say(
            f"repair: interrupted after {summary.files} file(s); any under way "
            f"were not written; take up the rest with {flag(options.RESUME)} "
            "(from a --format jsonl output)",
            error=True,
        )
        return EXIT_INTERRUPTED
    write_lines(renderer.end(kept, summary, time.monotonic() - started))
    if stop.exit_code is not None:
        say(
            f"repair: stopped after {summary.files} file(s), each finished; "
            f"take up the rest with {flag(options.RESUME)} (from a --format "
            "jsonl output)",
            error=True,
        )
        return stop.exit_code
    return summary.exit_code


def _take(
    arguments: argparse.Namespace,
    previous: dict[str, int],
    summary: RepairSummary,
    renderer: RepairRenderer,
    kept: list[RepairReport],
    stop: threading.Event,
) -> None:
    """Repair each file, counting and writing its report as it comes."""
    from keras_rescaling_patch.files import api

    streamed = arguments.format == "jsonl"
    reports = api.repair_many(
        arguments.inputs,
        arguments.output,
        include=arguments.include,
        exclude=arguments.exclude,
        jobs=arguments.jobs,
        skip=previous,
        on_skip=lambda name: summary.add_skipped(previous[name]),
        ordered=not streamed,
        stop=stop,
        **_common(arguments),
    )
    with progress_line(enabled=not streamed, after=PROGRESS_AFTER_SECONDS) as line:
        for report in reports:
            summary.add(report)
            line.show(
                lambda: (
                    f"repair: {summary.files} files, {summary.repaired} "
                    f"repaired, {summary.refused} refused, {summary.errors} "
                    "errors..."
                )
            )
            if renderer.per_file:
                write_lines(renderer.file(report), flush=streamed)
            else:
                kept.append(report)
