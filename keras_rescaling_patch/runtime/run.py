"""``keras-rescaling-patch run -- COMMAND``: the shim for one command's processes.

For serving images with a read-only site-packages, or teams that do not
want a ``.pth`` there: like ``opentelemetry-instrument``, this puts a small
``sitecustomize`` (``launcher/``) first on ``PYTHONPATH`` and replaces
itself with COMMAND (``exec``), so COMMAND's exit code and signals are its
own, and every Python process it starts, children included, gets the shim
when it imports Keras. The user's own ``sitecustomize`` still runs.

Only interpreters that can import this package (the same environment)
are covered; others start as usual.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

LAUNCHER = Path(__file__).resolve().with_name("launcher")
EXIT_NOT_FOUND = 127  # as shells say "command not found"
EXIT_CANNOT_RUN = 126  # as shells say "found, but cannot be run"


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with the launcher first on ``PYTHONPATH``."""
    env = dict(environ)
    rest = [
        part
        for part in env.get("PYTHONPATH", "").split(os.pathsep)
        if part and part != str(LAUNCHER)  # `run` inside `run`: once is enough
    ]
    env["PYTHONPATH"] = os.pathsep.join([str(LAUNCHER), *rest])
    return env


def run(command: list[str]) -> NoReturn:
    """Replace this process with ``command``; raises ``OSError`` if it cannot.

    (``FileNotFoundError``: no such command, exit ``EXIT_NOT_FOUND`` as a
    shell would; any other ``OSError``: ``EXIT_CANNOT_RUN``.)
    """
    env = child_environment(os.environ)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(command[0], command, env)
