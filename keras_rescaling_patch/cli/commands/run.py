"""``run``: a command with the shim in every Python process it starts
(``runtime/run.py`` prepares its environment and starts it)."""

from __future__ import annotations

import argparse
import os

from keras_rescaling_patch.cli.output import printable, say

USAGE = "keras-rescaling-patch run [-h] -- COMMAND [ARGS...]"
DESCRIPTION = (
    "Run COMMAND with keras_rescaling_patch active in every Python "
    "process it starts (children and spawned workers included), "
    "without writing anything into site-packages: a small "
    "sitecustomize goes first on PYTHONPATH and chains to your own. "
    "Exits with COMMAND's exit code (127: not found, 126: cannot run)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "command_line",
        metavar="-- COMMAND [ARGS...]",
        nargs=argparse.REMAINDER,
        help="the command, after --",
    )


def run(arguments: argparse.Namespace) -> int:
    """Run COMMAND with the shim in every Python process it starts."""
    from keras_rescaling_patch.runtime import run as launcher

    command = list(arguments.command_line)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:  # bad usage: argparse's usage line, then the error; exit 2
        arguments.usage_error("give a command to run, e.g. run -- python app.py")
    for note in launcher.notes(command, os.environ):
        say(f"run: note: {printable(note)}", error=True)
    try:
        launcher.run(command)
    except FileNotFoundError:
        say(f"run: {printable(command[0])}: command not found", error=True)
        return launcher.EXIT_NOT_FOUND
    except OSError as error:
        reason = "Is a directory" if os.path.isdir(command[0]) else error.strerror
        say(f"run: {printable(command[0])}: {reason or error}", error=True)
        return launcher.EXIT_CANNOT_RUN
