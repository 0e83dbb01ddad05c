"""The ``keras-rescaling-patch`` command, for the people around the model.

Exit codes: 0 success; 1 the check found that the model does not work
here, ``vendor`` refused a modified file, ``scan`` found affected (or
suspect) layers, or ``repair`` refused what it cannot write exactly; 2 bad
usage, bad input, a limit reached, an output refused or unwritable, or a
start-up hook that cannot be written or removed; 130 interrupted, 143
terminated (``repair``); ``run`` exits with its command's code, 127 when
the command is not found and 126 when it cannot be run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any

import keras_rescaling_patch

_output_failure: str | None = None  # why stdout or stderr stopped taking output


def say(text: str, *, error: bool = False, flush: bool = False) -> None:
    """Print one line; no terminal can turn a finished command into a crash.

    Streams are set to escape what they cannot encode (see ``main``); a
    reader that went away (``| head``) or a full device only stops the
    output: the exit code still tells what was done.
    """
    stream = sys.stderr if error else sys.stdout
    try:
        print(text, file=stream, flush=flush)
    except OSError as failure:
        _stop_writing(stream, failure)


def _stop_writing(stream: Any, failure: OSError) -> None:
    """Send what else goes to ``stream`` nowhere, and remember why."""
    global _output_failure
    if _output_failure is None and not isinstance(failure, BrokenPipeError):
        _output_failure = failure.strerror or str(failure)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _finish_output() -> None:
    """Flush stdout now (not at exit, where a failure would be a traceback)."""
    try:
        sys.stdout.flush()
    except OSError as failure:
        _stop_writing(sys.stdout, failure)
    if _output_failure is not None:
        try:
            print(
                f"keras-rescaling-patch: could not write the output: {_output_failure}",
                file=sys.stderr,
                flush=True,
            )
        except OSError:
            pass


def command_status(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.cli import status

    report = status.gather()
    if arguments.json:
        say(json.dumps(report, indent=2))
    else:
        for line in status.lines(report):
            say(printable(line))
    return 0


def command_check(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.cli import selfcheck, status

    report = status.gather()
    if not report["keras_importable"]:
        say(f"check: cannot run: {report['verdict']}", error=True)
        return 1
    say(
        f"Checking Keras {report['keras_version']} ({report['keras_backend']} "
        "backend); this takes up to a minute.",
        flush=True,
    )
    steps = iter(range(1, 3))
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
    if not command:
        say("run: give a command to run, e.g. run -- python app.py", error=True)
        return 2
    for note in run.notes(command, os.environ):
        say(f"run: note: {printable(note)}", error=True)
    try:
        run.run(command)
    except FileNotFoundError:
        say(f"run: {printable(command[0])}: command not found", error=True)
        return run.EXIT_NOT_FOUND
    except OSError as error:
        say(f"run: {printable(command[0])}: {error.strerror or error}", error=True)
        return run.EXIT_CANNOT_RUN


def printable(text: object) -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\n``).

    Names and paths come from files and from users: an ANSI sequence or a
    carriage return in a layer name must not rewrite what the terminal
    shows. ``--json`` output stays exact.
    """
    value = str(text)
    if value.isprintable():
        return value
    return "".join(
        character if character.isprintable() else repr(character)[1:-1]
        for character in value
    )


def _config_limit(arguments: argparse.Namespace) -> int:
    return int(arguments.max_config_mib * 1024 * 1024)


def command_scan(arguments: argparse.Namespace) -> int:
    """List array-valued Rescaling arguments in .keras / model .json files."""
    from keras_rescaling_patch.files import keras_file, scan

    reports = []
    for path in arguments.files:
        report: dict[str, Any] = {"file": str(path)}
        try:
            with keras_file.open_source(path) as source:
                model = keras_file.read_model(source, _config_limit(arguments))
            found = scan.scan_config(model.config)
        except keras_file.UnreadableModel as error:
            report["error"] = str(error)
            if not arguments.json:
                say(f"scan: {printable(path)}: {printable(error)}", error=True)
        else:
            report["format"] = "hdf5" if model.legacy_hdf5 else "keras"
            report["affected"] = [finding.as_dict() for finding in found.affected]
            report["suspect"] = [finding.as_dict() for finding in found.suspect]
            report["other"] = [finding.as_dict() for finding in found.other]
            if not arguments.json:
                _print_scan(path, found, model.legacy_hdf5)
        reports.append(report)
    if any("error" in report for report in reports):
        code = 2
    else:
        flagged = any(report["affected"] or report["suspect"] for report in reports)
        code = 1 if flagged else 0
    if arguments.json:
        say(json.dumps({"files": reports, "exit_code": code}, indent=2))
    return code


def _print_scan(path: Path, found: Any, legacy_hdf5: bool) -> None:
    kind = " (legacy HDF5 model)" if legacy_hdf5 else ""
    if found.suspect and not found.affected:
        say(
            f"{printable(path)}{kind}: {len(found.suspect)} array-valued "
            "scale/offset argument(s) of other layer classes; stock Keras 3.0-3.4 "
            "probably cannot run this file"
        )
    elif found.affected:
        say(
            f"{printable(path)}{kind}: {len(found.affected)} array-valued Rescaling "
            "argument(s); stock Keras 3.0-3.4 cannot run this file"
        )
    elif legacy_hdf5:
        say(
            f"{printable(path)}: legacy HDF5 model, not affected: its Rescaling "
            "arguments are plain lists, which Keras 3.0-3.4 load"
        )
    else:
        say(f"{printable(path)}: no array-valued Rescaling arguments")
    for finding in found.affected:
        say(
            _argument_text(finding.path, finding.key, finding.marker, finding.dtype)
            + f" shape {_shape_text(finding.shape or ())}"
        )
    for finding in found.suspect:
        say(
            _argument_text(finding.path, finding.key, finding.marker, finding.dtype)
            + f": a {printable(finding.layer_class)} layer, not "
            "keras.layers.Rescaling (a subclass?): stock Keras 3.0-3.4 fails on "
            "it too unless its own code restores the array"
        )
    for finding in found.other:
        say(f"  other array-valued config (information only): {_where(finding)}")


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _where(finding: Any) -> str:
    """Where an array sits in the config, and what it is."""
    return printable(f"{finding.path} {finding.key}  {finding.marker} {finding.dtype}")


def _argument_text(path: str, key: str, marker: str, dtype: object) -> str:
    """``  layer/path  scale  __numpy__ float64``: one array-valued argument."""
    argument = key.rsplit(".", 1)[-1]
    return f"  {printable(path)}  {argument}  {marker} {printable(dtype)}"


def _describe_repair(repair: Any) -> str:
    return (
        _argument_text(repair.path, repair.argument, repair.marker, repair.stored_dtype)
        + f" shape {_shape_text(repair.shape)} -> plain list (computes in "
        f"{repair.compute_dtype})"
    )


def command_repair(arguments: argparse.Namespace) -> int:
    """Rewrite array-valued Rescaling arguments so stock Keras 3.0-3.4 loads."""
    from keras_rescaling_patch.cli import progress
    from keras_rescaling_patch.files import config_repair, keras_file, repair

    source: Path = arguments.file
    shown = printable(source)
    if arguments.no_backup and not arguments.in_place:
        say("repair: --no-backup only goes with --in-place", error=True)
        return 2
    try:
        total = source.stat().st_size
    except OSError:
        total = 0  # repair() says what is wrong with it
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with progress.progress_bar(f"repair {source.name}", total) as advance:
            outcome = repair.repair(
                source,
                arguments.output,
                in_place=arguments.in_place,
                backup=not arguments.no_backup,
                force=arguments.force,
                sync=not arguments.no_sync,
                progress=advance,
                max_config_bytes=_config_limit(arguments),
                max_elements=arguments.max_array_elements,
            )
    except config_repair.NotExactlyRepairable as error:
        say(
            f"repair: {shown}: cannot repair exactly: {printable(error)}; nothing "
            "written. Load this file with the shim (import keras_rescaling_patch) "
            "or Keras >= 3.5 instead",
            error=True,
        )
        return 1
    except (keras_file.UnreadableModel, config_repair.TooLarge) as error:
        say(f"repair: {shown}: {printable(error)}", error=True)
        return 2
    except repair.RepairRefused as error:
        about = f"{printable(error.about)}: " if error.about is not None else ""
        say(f"repair: {about}{printable(error)}; nothing written", error=True)
        return 2
    except OSError as error:  # the output side: the input was read above
        where = printable(arguments.output or source)
        say(
            f"repair: cannot write {where}: {error.strerror or error}; nothing written",
            error=True,
        )
        return 2
    except KeyboardInterrupt:
        say("repair: interrupted; nothing written", error=True)
        return 130
    except _Terminated:
        say("repair: terminated; nothing written", error=True)
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
    _print_repair(source, outcome)
    return 0


class _Terminated(Exception):
    """SIGTERM arrived: unwind (removing the temporary file), then exit."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def _print_repair(source: Path, outcome: Any) -> None:
    shown = printable(source)
    if not outcome.repairs:
        done = (
            "left unchanged"
            if outcome.written is None
            else f"copied unchanged to {printable(outcome.written)}"
        )
        say(f"{shown}: nothing to repair (no array-valued Rescaling arguments); {done}")
    else:
        if outcome.written == source:
            kept = printable(outcome.backup) if outcome.backup else "no backup"
            where = f"{shown} in place (original: {kept})"
        else:
            where = f"{shown} -> {printable(outcome.written)}"
        count = len(outcome.repairs)
        say(f"repaired {where}: {count} Rescaling argument(s) now plain lists")
        for repair in outcome.repairs:
            say(_describe_repair(repair))
    for finding in outcome.other:
        say(f"  other array-valued config, left as it is: {_where(finding)}")


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
        _finish_output()
        parser.exit()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _add_config_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-config-mib",
        metavar="MIB",
        type=_positive_number,
        default=16,
        help="refuse a model config larger than this, in MiB (default 16)",
    )


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
    )
    status.add_argument("--json", action="store_true", help="print JSON for machines")
    status.set_defaults(handler=command_status)
    check = commands.add_parser(
        "check",
        help="save a sample model and reload it without and with the shim "
        "here (up to a minute)",
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
    scan = commands.add_parser(
        "scan",
        help="list array-valued Rescaling arguments in .keras, model .json or "
        "legacy .h5 files",
        description=(
            "Read only the model config of each file (config.json of a .keras "
            "archive, a model .json from to_json, or the config inside a legacy "
            ".h5 model) and list every Rescaling whose scale or offset is a "
            "serialized array, which stock Keras 3.0-3.4 cannot run. Never "
            "imports Keras. Exit 0: nothing affected; 1: affected layers found "
            "(or array-valued scale/offset in layers of other classes, such as "
            "registered subclasses); 2: a file could not be read."
        ),
    )
    scan.add_argument(
        "files",
        metavar="FILE",
        type=Path,
        nargs="+",
        help=".keras archives, model .json files or legacy .h5 models",
    )
    scan.add_argument("--json", action="store_true", help="print JSON for machines")
    _add_config_limit(scan)
    scan.set_defaults(handler=command_scan)
    repair = commands.add_parser(
        "repair",
        help="rewrite array-valued Rescaling arguments so stock Keras 3.0-3.4 "
        "can load the file",
        description=(
            "Rewrite each array-valued Rescaling scale/offset in a .keras "
            "archive (or model .json) as a plain list holding exactly the "
            "values the layer computes with; every other archive member is "
            "copied byte for byte. The output appears only when complete. "
            "Exit 0: repaired, or nothing to repair; 1: a value cannot be "
            "written exactly (nothing written); 2: bad input, or OUT exists "
            "or cannot be written."
        ),
    )
    repair.add_argument(
        "file", metavar="IN", type=Path, help="a .keras archive or model .json"
    )
    target = repair.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "-o", "--output", metavar="OUT", type=Path, help="where to write the result"
    )
    target.add_argument(
        "--in-place", action="store_true", help="replace IN, keeping IN.bak"
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
    _add_config_limit(repair)
    repair.add_argument(
        "--max-array-elements",
        metavar="N",
        type=_positive_int,
        default=1_000_000,
        help="refuse a scale or offset holding more values (default 1000000)",
    )
    repair.set_defaults(handler=command_repair)
    run = commands.add_parser(
        "run",
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
    run.set_defaults(handler=command_run)
    for name, verb in (
        ("install-startup-hook", "install"),
        ("uninstall-startup-hook", "remove"),
    ):
        hook = commands.add_parser(
            name,
            help=f"{verb} a .pth hook that applies the shim in every interpreter "
            "of this environment when Keras is imported",
        )
        hook.add_argument(
            "--user", action="store_true", help="the user site-packages instead"
        )
        hook.set_defaults(handler=command_startup_hook)
    return parser


# These act on the shim's setting; the file tools and the hook commands work
# whatever KERAS_RESCALING_PATCH says.
NEEDS_A_VALID_SETTING = frozenset({"status", "check", "run"})


def _escape_what_cannot_be_encoded() -> None:
    """An ASCII terminal, a C locale or a lone surrogate in a layer name:
    escape instead of raising UnicodeEncodeError mid-output."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass


def main(argv: list[str] | None = None) -> int:
    from keras_rescaling_patch.runtime import activation

    _escape_what_cannot_be_encoded()
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
    except KeyboardInterrupt:
        say(f"{arguments.command}: interrupted", error=True)
        code = 130
    _finish_output()
    return code
