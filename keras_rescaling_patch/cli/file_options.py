"""The file tools' options on the command line: their flags, and their words.

One table says how the command line names each setting of the file tools
(``SPELLING``: ``--max-config-mib`` for the API's ``max_config_mib``), so
that a message from below, which points at a setting without naming it,
names the flag here. The flags only carry what the user typed to the
Python API, numbers as their text: every value is checked there, once
(``files/options.py``), and :func:`setting_error` turns what it refuses
back into the flag's words. Each default comes from ``files/options.py``.
"""

from __future__ import annotations

import argparse

from keras_rescaling_patch.cli.output import printable, say
from keras_rescaling_patch.files import options
from keras_rescaling_patch.files.options import Option, SettingError

SPELLING = {
    options.MAX_CONFIG: "--max-config-mib",
    options.MAX_READ: "--max-read-mib",
    options.MAX_ARRAY_ELEMENTS: "--max-array-elements",
    options.TIMEOUT: "--timeout",
    options.JOBS: "--jobs",
    options.FORCE: "--force",
    options.IN_PLACE: "--in-place",
    options.OUTPUT: "-o OUT",
    options.NO_BACKUP: "--no-backup",
    options.SYNC: "--no-sync",
    options.SELECTION: "--include/--exclude",
    options.TARGET_KERAS: "--target-keras",
    options.SELECT: "--select",
    options.IGNORE: "--ignore",
    options.SOURCE: "IN",
    options.ALLOW_ROUNDING: "--allow-rounding",
    options.RESUME: "--resume",
    options.INPUTS: "FILE|FOLDER|PATTERN|URL",
}


def flag(option: Option) -> str:
    """How the command line names a setting of the file tools."""
    return SPELLING.get(option, option.name)


def setting_error(
    parser: argparse.ArgumentParser, command: str, error: SettingError
) -> int:
    """Say what the API refused, in flags: a bad value as argparse says a
    bad argument (usage, then the error; exit 2), a bad combination in one
    line (exit 2)."""
    if error.option is not None and error.option in SPELLING:
        parser.error(
            f"argument {flag(error.option)}: {error.render(flag, named=False)}"
        )
    say(f"{command}: {printable(error.render(flag))}", error=True)
    return 2


def codes(text: str) -> list[str]:
    """``KRP001,KRP003``: the codes one flag gives (checked by the API)."""
    given = [code.strip() for code in text.split(",") if code.strip()]
    if not given:
        raise argparse.ArgumentTypeError("no rule code given (such as KRP003)")
    return given


def add_config_limit(parser: argparse.ArgumentParser) -> None:
    default = options.DEFAULT_MAX_CONFIG_MIB
    parser.add_argument(
        flag(options.MAX_CONFIG),
        metavar="MIB",
        default=default,
        help=f"refuse a model config larger than this, in MiB (default {default})",
    )


def add_timeout(parser: argparse.ArgumentParser) -> None:
    default = options.DEFAULT_TIMEOUT
    parser.add_argument(
        flag(options.TIMEOUT),
        metavar="SECONDS",
        default=default,
        help="give up on a request to a remote store after this long "
        f"(default {default:g})",
    )


def add_target_keras(parser: argparse.ArgumentParser, what: str) -> None:
    """``--target-keras``: ``what`` the releases are for (``judge against``)."""
    parser.add_argument(
        flag(options.TARGET_KERAS),
        metavar="VERSION",
        action="append",
        default=[],
        help=f"{what} these Keras releases: 3.4.1, 3.4 (every 3.4.x), 3.0-3.4, "
        "or 3.5+ (repeatable; default: the release that saved each file, and "
        "every later one)",
    )


def add_selection(parser: argparse.ArgumentParser) -> None:
    """``--include``/``--exclude``: which files of folders, prefixes and
    patterns a command takes."""
    parser.add_argument(
        "--include",
        metavar="GLOB",
        action="append",
        default=[],
        help="from folders, prefixes and patterns, take only files whose path "
        "below the folder (or URL) matches (repeatable)",
    )
    parser.add_argument(
        "--exclude",
        metavar="GLOB",
        action="append",
        default=[],
        help="from folders, prefixes and patterns, leave out files whose path "
        "below the folder (or URL) matches (repeatable)",
    )


def add_jobs(parser: argparse.ArgumentParser, done: str) -> None:
    """``--jobs``: how many files are ``done`` (scanned, repaired) at once."""
    parser.add_argument(
        flag(options.JOBS),
        metavar="N",
        help=f"files {done} at once (default: {options.REMOTE_JOBS} with a URL "
        f"among the inputs, else {options.LOCAL_JOBS})",
    )


def add_resume(parser: argparse.ArgumentParser, done: str, counted: str) -> None:
    """``--resume``: skip what a previous JSON Lines output lists as ``done``."""
    parser.add_argument(
        flag(options.RESUME),
        metavar="JSONL",
        help=f"skip the files a previous --format jsonl output lists as {done} "
        f"({counted})",
    )
