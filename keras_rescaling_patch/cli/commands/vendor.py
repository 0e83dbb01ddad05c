"""``vendor``: apply the shipped fix to a vendored copy of Keras 3.0-3.4
(``vendoring/vendor.py`` does the work)."""

from __future__ import annotations

import argparse
from pathlib import Path

from keras_rescaling_patch.cli.output import printable, say

DESCRIPTION = (
    "Patch keras/src/layers/preprocessing/rescaling.py of a vendored "
    "Keras (the folder that contains keras/, or keras/ itself). Exit 0: "
    "patched, or nothing to do; 1: the file is locally modified and was "
    "left alone; 2: DIR is not a vendored Keras, or a file there cannot be "
    "read or written (a symlinked rescaling.py is refused)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        metavar="DIR",
        type=Path,
        help="the folder that contains the vendored keras/ (or keras/ itself)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check only; change nothing"
    )
    parser.add_argument(
        "--reverse", action="store_true", help="undo the patch (restore pristine)"
    )


def run(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.vendoring import vendor

    report = vendor.vendor(
        arguments.directory, dry_run=arguments.dry_run, reverse=arguments.reverse
    )
    failed = report.exit_code != 0
    say(("vendor: " if failed else "") + printable(report.message), error=failed)
    return report.exit_code
