"""The ``keras-rescaling-patch`` command, for the people around the model.

Every command is a module of ``cli/commands/`` with the same shape,
registered in one table there; this module builds the parser from that
table, importing only the command being run (``--help`` lists them all
from the table's summaries), and turns interrupts into exit codes.

Exit codes: 0 success (``check``: also nothing to check, without Keras or
beside Keras 2); 1 the check found that the model does not work here or
an installed Keras cannot be imported, ``vendor`` refused a modified file,
``scan`` found affected (or suspect) layers, or ``repair`` refused what it
cannot write exactly; 2 bad usage, bad input, a limit reached, an output
refused or unwritable, or a start-up hook that cannot be written or
removed; 130 interrupted, 143 terminated (``repair``); ``run`` exits with
its command's code, 127 when the command is not found and 126 when it
cannot be run.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import keras_rescaling_patch
from keras_rescaling_patch.cli.commands import COMMANDS, load
from keras_rescaling_patch.cli.output import escape_unencodable, finish, say
from keras_rescaling_patch.cli.signals import EXIT_TERMINATED, Terminated


class _VersionAction(argparse.Action):
    """``--version``: the program, its version, and the Keras it sees.

    The Keras version comes from the installed metadata: Keras is not
    imported (seconds), and a broken Keras cannot break ``--version``.
    """

    def __init__(self, option_strings: list[str], dest: str, help: str) -> None:
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from keras_rescaling_patch.cli import environment

        keras = environment.keras_distribution_version()
        seen = f"Keras {keras} installed" if keras else "no Keras installed"
        say(f"{parser.prog} {keras_rescaling_patch.__version__} ({seen})")
        finish()
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, the arguments of that command alone are
    built (its module imported), the others listed by their summaries."""
    parser = argparse.ArgumentParser(
        prog="keras-rescaling-patch",
        description=(
            "Status, self-check and file tools for keras-rescaling-patch, the fix for "
            "array-valued keras.layers.Rescaling on Keras 3.0-3.4."
        ),
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="print this program's version and the Keras installed here, and exit",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do"
    )
    for name, info in COMMANDS.items():
        if only is not None and name != only:
            commands.add_parser(name, help=info.summary)
            continue
        module = load(name)
        command = commands.add_parser(
            name,
            help=info.summary,
            description=module.DESCRIPTION,
            usage=getattr(module, "USAGE", None),
        )
        module.add_arguments(command)
        command.set_defaults(
            handler=module.run, parser=command, usage_error=command.error
        )
    return parser


def _command_named(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if it names one (only its module is loaded)."""
    for argument in argv:
        if not argument.startswith("-"):
            return argument if argument in COMMANDS else None
    return None


# These act on the shim's setting; the file tools and the hook commands work
# whatever KERAS_RESCALING_PATCH says.
NEEDS_A_VALID_SETTING = frozenset({"status", "check", "run"})


def main(argv: list[str] | None = None) -> int:
    import sys

    from keras_rescaling_patch.runtime import activation

    escape_unencodable()
    activation.origin = "command line"  # status says it; no warnings here
    given = sys.argv[1:] if argv is None else argv
    arguments = build_parser(_command_named(given) or "").parse_args(given)
    # TensorFlow's start-up chatter would bury status and check; a user's
    # own setting wins, and children of `run` inherit the user's, untouched.
    if arguments.command in ("status", "check"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if (
        arguments.command in NEEDS_A_VALID_SETTING
        and activation.mode == activation.INVALID
    ):
        say(f"{arguments.command}: {activation.mode_problem}", error=True)
        return 2
    try:
        code = int(arguments.handler(arguments))
    except KeyboardInterrupt:  # repair: before it began, so nothing written
        written = "; nothing written" if arguments.command == "repair" else ""
        say(f"{arguments.command}: interrupted{written}", error=True)
        code = 130
    except Terminated:
        say(f"{arguments.command}: terminated", error=True)
        code = EXIT_TERMINATED
    finish()
    return code
