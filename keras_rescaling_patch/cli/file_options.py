"""The file tools' options on the command line: their types, and their words.

One table says how the command line names each setting of the file tools
(``SPELLING``: ``--max-config-mib`` for the API's ``max_config_mib``), so
that a message from below, which points at a setting without naming it,
names the flag here. Each default comes from ``files/options.py``.
"""

from __future__ import annotations

import argparse
import math

from keras_rescaling_patch.files import options
from keras_rescaling_patch.files.options import Option

SPELLING = {
    options.MAX_CONFIG: "--max-config-mib",
    options.MAX_READ: "--max-read-mib",
    options.MAX_ARRAY_ELEMENTS: "--max-array-elements",
    options.TIMEOUT: "--timeout",
    options.FORCE: "--force",
    options.IN_PLACE: "--in-place",
    options.OUTPUT: "-o OUT",
    options.NO_BACKUP: "--no-backup",
    options.SELECTION: "--include/--exclude",
    options.TARGET_KERAS: "--target-keras",
}


def flag(option: Option) -> str:
    """How the command line names a setting of the file tools."""
    return SPELLING[option]


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


def seconds(text: str) -> float:
    value = positive_number(text)
    if value > options.MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text!r} is more than a day")
    return value


def add_config_limit(parser: argparse.ArgumentParser) -> None:
    default = options.DEFAULT_MAX_CONFIG_MIB
    parser.add_argument(
        flag(options.MAX_CONFIG),
        metavar="MIB",
        type=positive_number,
        default=default,
        help=f"refuse a model config larger than this, in MiB (default {default})",
    )


def add_timeout(parser: argparse.ArgumentParser) -> None:
    default = options.DEFAULT_TIMEOUT
    parser.add_argument(
        flag(options.TIMEOUT),
        metavar="SECONDS",
        type=seconds,
        default=default,
        help="give up on a request to a remote store after this long "
        f"(default {default:g})",
    )
