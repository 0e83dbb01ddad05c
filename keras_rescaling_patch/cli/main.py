"""The ``keras-rescaling-patch`` command, for the people around the model.

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
import json
import os
from pathlib import Path

import keras_rescaling_patch
from keras_rescaling_patch.cli import repair_command, scan_command
from keras_rescaling_patch.cli.output import (
    escape_unencodable,
    finish,
    printable,
    say,
    waiting_for,
)
from keras_rescaling_patch.cli.signals import (
    EXIT_TERMINATED,
    Terminated,
    terminated_raises,
)

IMPORTING_KERAS = "importing Keras (and its backend) to see what it does here"


def startup_hook_installed() -> bool:
    from keras_rescaling_patch.runtime import startup_hook

    return bool(startup_hook.installed_hooks())


def command_status(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.cli import status

    keras_2 = None if arguments.json else status.keras_2_without_importing()
    if keras_2 is not None and not startup_hook_installed():
        say(f"keras-rescaling-patch {keras_rescaling_patch.__version__}: {keras_2}")
        return 0
    with waiting_for(IMPORTING_KERAS):
        report = status.gather()
    if arguments.json:
        say(json.dumps(report, indent=2))
    else:
        for line in status.lines(report):
            say(printable(line))
    return 0


def command_check(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.cli import selfcheck, status

    keras_2 = status.keras_2_without_importing()
    if keras_2 is not None:  # no model of ours can fail here
        say(f"check: nothing to check: {keras_2}")
        return 0
    with waiting_for(IMPORTING_KERAS):
        report = status.gather()
    nothing = status.nothing_to_patch(report)
    if nothing is not None:  # no Keras, or Keras 2: no model of ours can fail here
        say(f"check: nothing to check: {nothing}")
        return 0
    if not report["keras_importable"]:
        say(f"check: cannot run: {report['verdict']}", error=True)
        return 1
    say(
        f"Checking Keras {report['keras_version']} ({report['keras_backend']} "
        "backend); this takes up to a minute.",
        flush=True,
    )
    steps = iter(range(1, 3))
    with terminated_raises():  # its children are stopped, its files removed
        result = selfcheck.run_check(
            lambda text: say(f"  [{next(steps)}/2] {text}...", flush=True),
            setting=report["setting"],
        )
    for label, reload in (("without", result.without_shim), ("with", result.with_shim)):
        how = f" ({reload.loader})" if reload.loader else ""
        say(f"  reloaded {label} the shim{how}: {reload.describe()}")
    say(result.verdict())
    return 0 if result.ok else 1


def command_vendor(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.vendoring import vendor

    report = vendor.vendor(
        arguments.directory, dry_run=arguments.dry_run, reverse=arguments.reverse
    )
    failed = report.exit_code != 0
    say(("vendor: " if failed else "") + printable(report.message), error=failed)
    return report.exit_code


def command_startup_hook(arguments: argparse.Namespace) -> int:
    """install-startup-hook / uninstall-startup-hook."""
    from keras_rescaling_patch.runtime import startup_hook

    installing = arguments.command == "install-startup-hook"
    action = startup_hook.install if installing else startup_hook.uninstall
    try:
        change = action(user=arguments.user)
    except startup_hook.HookError as error:
        say(f"{arguments.command}: {error}", error=True)
        return 2
    if installing:
        state = "installed" if change.changed else "already installed"
    else:
        state = "removed" if change.changed else "was not installed"
    say(f"start-up hook {state}: {change.path}")
    if installing and change.record is None:
        say(
            "  note: no installer RECORD could list it, so `pip uninstall "
            "keras-rescaling-patch` will not remove it; run "
            "`keras-rescaling-patch uninstall-startup-hook` first"
        )
    return 0


def command_run(arguments: argparse.Namespace) -> int:
    """Run COMMAND with the shim in every Python process it starts."""
    from keras_rescaling_patch.runtime import run

    command = list(arguments.command_line)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:  # bad usage: argparse's usage line, then the error; exit 2
        arguments.usage_error("give a command to run, e.g. run -- python app.py")
    for note in run.notes(command, os.environ):
        say(f"run: note: {printable(note)}", error=True)
    try:
        run.run(command)
    except FileNotFoundError:
        say(f"run: {printable(command[0])}: command not found", error=True)
        return run.EXIT_NOT_FOUND
    except OSError as error:
        reason = "Is a directory" if os.path.isdir(command[0]) else error.strerror
        say(f"run: {printable(command[0])}: {reason or error}", error=True)
        return run.EXIT_CANNOT_RUN


class _VersionAction(argparse.Action):
    """``--version``: the program, its version, and the Keras it sees.

    The Keras version comes from the installed metadata: Keras is not
    imported (seconds), and a broken Keras cannot break ``--version``.
    """

    def __init__(self, option_strings: list[str], dest: str, help: str) -> None:
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from keras_rescaling_patch.cli import status

        keras = status.keras_distribution_version()
        seen = f"Keras {keras} installed" if keras else "no Keras installed"
        say(f"{parser.prog} {keras_rescaling_patch.__version__} ({seen})")
        finish()
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
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
    status = commands.add_parser(
        "status",
        help="what this environment, a program started here and this "
        "process get from the shim, and why",
        description=(
            "Report on this environment (Keras, its backend, TensorFlow, whether "
            "this Keras has the bug, the KERAS_RESCALING_PATCH setting), on what a "
            "program started here gets from the import, the start-up hook and "
            "run, and on this command's own process. Imports Keras (seconds "
            "with TensorFlow). Exit 0; 2 if KERAS_RESCALING_PATCH is not understood."
        ),
    )
    status.add_argument("--json", action="store_true", help="print JSON for machines")
    status.set_defaults(handler=command_status)
    check = commands.add_parser(
        "check",
        help="save a sample model and reload it without and with the shim "
        "here (up to a minute)",
        description=(
            "Save a small model whose Rescaling has array scale and offset, and "
            "reload it in two fresh interpreters at once: one stock, one that "
            "imports keras_rescaling_patch first with the KERAS_RESCALING_PATCH "
            "setting programs here get, loading as users do (tf.keras where "
            "TensorFlow is installed). Exit 0 if the model works with the shim "
            "here, or if there is nothing to check (no Keras, or Keras 2); 1 if "
            "not, or if an installed Keras cannot be imported; 2 if "
            "KERAS_RESCALING_PATCH is not understood."
        ),
    )
    check.set_defaults(handler=command_check)
    vendor = commands.add_parser(
        "vendor",
        help="apply the shipped fix to a vendored copy of Keras 3.0-3.4",
        description=(
            "Patch keras/src/layers/preprocessing/rescaling.py of a vendored "
            "Keras (the folder that contains keras/, or keras/ itself). Exit 0: "
            "patched, or nothing to do; 1: the file is locally modified and was "
            "left alone; 2: DIR is not a vendored Keras, or a file there cannot be "
            "read or written (a symlinked rescaling.py is refused)."
        ),
    )
    vendor.add_argument(
        "directory",
        metavar="DIR",
        type=Path,
        help="the folder that contains the vendored keras/ (or keras/ itself)",
    )
    vendor.add_argument(
        "--dry-run", action="store_true", help="check only; change nothing"
    )
    vendor.add_argument(
        "--reverse", action="store_true", help="undo the patch (restore pristine)"
    )
    vendor.set_defaults(handler=command_vendor)
    scan_command.add_scan(commands)
    repair_command.add_repair(commands)
    run = commands.add_parser(
        "run",
        usage="keras-rescaling-patch run [-h] -- COMMAND [ARGS...]",
        help="run a command with the shim in every Python process it starts",
        description=(
            "Run COMMAND with keras_rescaling_patch active in every Python "
            "process it starts (children and spawned workers included), "
            "without writing anything into site-packages: a small "
            "sitecustomize goes first on PYTHONPATH and chains to your own. "
            "Exits with COMMAND's exit code (127: not found, 126: cannot run)."
        ),
    )
    run.add_argument(
        "command_line",
        metavar="-- COMMAND [ARGS...]",
        nargs=argparse.REMAINDER,
        help="the command, after --",
    )
    run.set_defaults(handler=command_run, usage_error=run.error)
    for name, verb in (
        ("install-startup-hook", "install"),
        ("uninstall-startup-hook", "remove"),
    ):
        hook = commands.add_parser(
            name,
            help=f"{verb} a .pth hook that applies the shim in every interpreter "
            "of this environment when Keras is imported",
            description=(
                f"{verb.capitalize()} keras_rescaling_patch_startup.pth in this "
                "interpreter's site-packages (or the user site): a start-up hook "
                "with which every interpreter of the environment gets the shim "
                "when it imports Keras, importing nothing at start-up. The file "
                "is listed in the package's RECORD, so pip uninstall removes it "
                "too. A file of that name not written by this package is left "
                "alone. Exit 0; 2 if the file cannot be written or removed, or is "
                "not ours."
            ),
        )
        hook.add_argument(
            "--user", action="store_true", help="the user site-packages instead"
        )
        hook.set_defaults(handler=command_startup_hook)
    return parser


# These act on the shim's setting; the file tools and the hook commands work
# whatever KERAS_RESCALING_PATCH says.
NEEDS_A_VALID_SETTING = frozenset({"status", "check", "run"})


def main(argv: list[str] | None = None) -> int:
    from keras_rescaling_patch.runtime import activation

    escape_unencodable()
    activation.origin = "command line"  # status says it; no warnings here
    arguments = build_parser().parse_args(argv)
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
