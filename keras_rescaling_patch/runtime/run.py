"""``keras-rescaling-patch run -- COMMAND``: the shim for one command's processes.

For serving images with a read-only site-packages, or teams that do not
want a ``.pth`` there: like ``opentelemetry-instrument``, this puts a small
``sitecustomize`` (``launcher/``) first on ``PYTHONPATH`` and replaces
itself with COMMAND (``exec``), so COMMAND's exit code and signals are its
own, and every Python process it starts, children included, gets the shim
when it imports Keras. The user's own ``sitecustomize`` still runs, and so
does that of any other launcher of this kind placed before ours.

The child's environment is the user's, with exactly one change: the
launcher folder in front of ``PYTHONPATH`` (empty entries, which mean the
current folder, are kept as they were). Only interpreters that can import
this package (the same environment) are covered; ``run`` says so when
COMMAND is another environment's Python, and when COMMAND is a launcher
known to put a ``sitecustomize`` of its own ahead of ours without running
ours.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

LAUNCHER = Path(__file__).resolve().with_name("launcher")
EXIT_NOT_FOUND = 127  # as shells say "command not found"
EXIT_CANNOT_RUN = 126  # as shells say "found, but cannot be run"
SHELL = "/bin/sh"  # what execvp(3) and the shells run a script without #! with
PROBE_SECONDS = 30
# Launchers that put their own sitecustomize first and do not run the next
# one: under `run`, the Python processes they start miss ours.
NON_CHAINING_LAUNCHERS = frozenset({"opentelemetry-instrument"})


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with the launcher folder in front of ``PYTHONPATH``.

    Nothing else changes, not even empty entries (the current folder).
    ``run`` inside ``run`` of this same installation adds nothing.
    """
    env = dict(environ)
    launcher = str(LAUNCHER)
    current = env.get("PYTHONPATH", "")
    if not current:  # unset or empty: Python reads no entry from it
        env["PYTHONPATH"] = launcher
    elif current.split(os.pathsep)[0] != launcher:
        env["PYTHONPATH"] = launcher + os.pathsep + current
    return env


def _resolve(program: str, environ: Mapping[str, str]) -> str | None:
    """The file ``execvp`` would run for ``program``, if any."""
    return shutil.which(program, path=environ.get("PATH", os.defpath))


def notes(command: list[str], environ: Mapping[str, str]) -> list[str]:
    """One-line notes about what ``run`` cannot cover for ``command``."""
    program = command[0]
    name = os.path.basename(program)
    if name in NON_CHAINING_LAUNCHERS:
        return [
            f"{name} puts its own sitecustomize first and does not run ours, so "
            f"the Python processes it starts get no shim; put it outside instead "
            f"({name} keras-rescaling-patch run -- ...) or use the start-up hook"
        ]
    foreign = _foreign_python(program, environ)
    if foreign is not None:
        return [
            f"{foreign} cannot import keras_rescaling_patch (it is not this "
            f"environment's Python, {sys.executable}), so it runs without the "
            "shim; install the package there, or run this environment's Python"
        ]
    return []


def _is_python_name(name: str) -> bool:
    """``python``, ``python3``, ``python3.11`` and the like."""
    version = name[len("python") :]
    return name.startswith("python") and all(
        part.isdigit() for part in version.split(".") if version
    )


def _foreign_python(program: str, environ: Mapping[str, str]) -> str | None:
    """The interpreter ``program`` names, if it is one that cannot import us."""
    path = _resolve(program, environ)
    if path is None or not _is_python_name(os.path.basename(path)):
        return None
    ours = os.path.dirname(os.path.abspath(sys.executable))
    if os.path.dirname(os.path.abspath(path)) == ours:
        return None  # this environment's own interpreter
    probe = (
        "import importlib.util, sys; "
        "sys.exit(0 if importlib.util.find_spec('keras_rescaling_patch') else 3)"
    )
    try:
        answer = subprocess.run(
            [path, "-c", probe],
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=PROBE_SECONDS,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # cannot tell: say nothing
    return path if answer.returncode == 3 else None


def run(command: list[str]) -> NoReturn:
    """Replace this process with ``command``; raises ``OSError`` if it cannot.

    (``FileNotFoundError``: no such command, exit ``EXIT_NOT_FOUND`` as a
    shell would; any other ``OSError``: ``EXIT_CANNOT_RUN``.) A file that
    is executable but has no ``#!`` line runs with ``/bin/sh``, as shells
    and ``execvp(3)`` run it.
    """
    env = child_environment(os.environ)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, env)
    except OSError as error:
        if error.errno != errno.ENOEXEC:
            raise
        script = _resolve(command[0], env)
        if script is None:
            raise
        os.execve(SHELL, [SHELL, script, *command[1:]], env)
