"""``repair`` on the command line: arguments in, what was done out.

The work is the file tools' Python API; this module maps the flags to its
arguments, shows a progress line for a big file on a terminal, turns
``SIGTERM`` into a clean end (the temporary file removed, exit 143), and
prints the report through its renderer (``files/reports/formats.py``)
with the command line's words.
"""

from __future__ import annotations

import argparse
import os

from keras_rescaling_patch.cli.commands.scan import write_lines
from keras_rescaling_patch.cli.file_options import (
    add_config_limit,
    add_target_keras,
    add_timeout,
    flag,
    setting_error,
)
from keras_rescaling_patch.cli.output import say
from keras_rescaling_patch.cli.progress import copy_progress
from keras_rescaling_patch.cli.signals import (
    EXIT_TERMINATED,
    Terminated,
    terminated_raises,
)
from keras_rescaling_patch.files import options
from keras_rescaling_patch.files.options import SettingError

DESCRIPTION = (
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
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", metavar="IN", help="a .keras archive or model .json (path or URL)"
    )
    parser.add_argument(
        "-o", "--output", metavar="OUT", help="where to write the result (path or URL)"
    )
    parser.add_argument(
        flag(options.IN_PLACE),
        action="store_true",
        help="replace IN (a local file), keeping IN.bak",
    )
    parser.add_argument(
        flag(options.NO_BACKUP),
        action="store_true",
        help="with --in-place: keep no IN.bak",
    )
    parser.add_argument(
        flag(options.FORCE),
        action="store_true",
        help="overwrite an existing OUT or IN.bak",
    )
    parser.add_argument(
        flag(options.SYNC),
        action="store_true",
        help="do not wait for the output to reach the disk (faster; a power "
        "cut right after may lose it)",
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
    add_target_keras(parser, "make the file load on")


def run(arguments: argparse.Namespace) -> int:
    """Rewrite what stock Keras cannot restore; say what was done."""
    from keras_rescaling_patch.files import api
    from keras_rescaling_patch.files.reports.formats import REPAIR_FORMATS
    from keras_rescaling_patch.files.reports.render import Context

    try:  # a big local file gets a progress line; anything else, none
        total = os.stat(arguments.file).st_size
    except (OSError, ValueError):
        total = 0
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
                target_keras=arguments.target_keras,
            )
    except SettingError as error:
        return setting_error(arguments.parser, "repair", error)
    except KeyboardInterrupt:
        say("repair: interrupted; nothing written", error=True)
        return 130
    except Terminated:
        say("repair: terminated; nothing written", error=True)
        return EXIT_TERMINATED
    write_lines(REPAIR_FORMATS["text"](Context(flag, command="repair")).file(report))
    return report.exit_code
