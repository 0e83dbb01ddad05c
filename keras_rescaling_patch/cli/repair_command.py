"""``repair`` on the command line: arguments in, what was done out.

The work is the file tools' Python API; this module parses the options,
shows a progress line for a big file on a terminal, turns ``SIGTERM`` into
a clean end (the temporary file removed, exit 143), and prints the report
(``files/reports/text.py``) with the command line's words.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from keras_rescaling_patch.cli.file_options import (
    add_config_limit,
    add_timeout,
    flag,
    positive_int,
)
from keras_rescaling_patch.cli.output import printable, say
from keras_rescaling_patch.cli.progress import copy_progress
from keras_rescaling_patch.cli.signals import (
    EXIT_TERMINATED,
    Terminated,
    terminated_raises,
)
from keras_rescaling_patch.files import options


def add_repair(commands: Any) -> None:
    repair = commands.add_parser(
        "repair",
        help="rewrite the serialized arrays stock Keras cannot restore as "
        "plain values, so every Keras 3 release loads the file",
        description=(
            "Rewrite each serialized array that some stock Keras release hands "
            "to a constructor unrestored, in a .keras archive (or model .json), "
            "as a plain list, number or string holding exactly the values the "
            "class computes with (a Rescaling's rounded to its compute dtype); "
            "every other archive member is copied byte for byte. The output "
            "appears only when complete. IN may be a URL (https:// or http://; "
            "s3://, gs://, az://... with fsspec installed), and so may OUT (an "
            "fsspec store; written as a conditional create). Exit 0: repaired, "
            "or nothing to repair; 1: a value cannot be written exactly, or a "
            "class this package does not know holds an array (nothing written); "
            "2: bad input, or OUT exists or cannot be written (nothing written)."
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
    add_config_limit(repair)
    repair.add_argument(
        flag(options.MAX_ARRAY_ELEMENTS),
        metavar="N",
        type=positive_int,
        default=options.DEFAULT_MAX_ARRAY_ELEMENTS,
        help="refuse a serialized array holding more values (default "
        f"{options.DEFAULT_MAX_ARRAY_ELEMENTS})",
    )
    add_timeout(repair)
    repair.set_defaults(handler=command_repair)


def command_repair(arguments: argparse.Namespace) -> int:
    """Rewrite array-valued Rescaling arguments so stock Keras 3.0-3.4 loads."""
    from keras_rescaling_patch.files import api
    from keras_rescaling_patch.files.reports import text
    from keras_rescaling_patch.files.stores.location import LocalPath, parse

    source = parse(arguments.file)
    if arguments.no_backup and not arguments.in_place:
        say("repair: --no-backup only goes with --in-place", error=True)
        return 2
    try:
        total = os.stat(source.path).st_size if isinstance(source, LocalPath) else 0
    except OSError:
        total = 0  # repair says what is wrong with it
    try:
        name = os.path.basename(arguments.file)
        with terminated_raises(), copy_progress(f"repair {name}", total) as advance:
            report = api.repair(
                arguments.file,
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
    except Terminated:
        say("repair: terminated; nothing written", error=True)
        return EXIT_TERMINATED
    for line in text.repair_lines(report, flag):
        say(printable(line.text), error=line.error)
    return report.exit_code
