"""The commands, one module each, registered here and imported only when run.

Every command module has the same shape: ``DESCRIPTION`` (what ``COMMAND
--help`` says), ``add_arguments(parser)`` and ``run(arguments) -> int``
(its exit code); a module may define ``USAGE``. This table names each
command's module and its one-line summary, so that ``--help`` lists every
command without importing any, and a run imports only its own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class CommandInfo:
    """A command's module (below this package) and its summary."""

    module: str
    summary: str


COMMANDS: dict[str, CommandInfo] = {
    "status": CommandInfo(
        "status",
        "what this environment, a program started here and this process get "
        "from the shim, and why",
    ),
    "check": CommandInfo(
        "check",
        "save a sample model and reload it without and with the shim here (up "
        "to a minute)",
    ),
    "vendor": CommandInfo(
        "vendor", "apply the shipped fix to a vendored copy of Keras 3.0-3.4"
    ),
    "scan": CommandInfo(
        "scan",
        "find the serialized arrays stock Keras cannot restore in model files, "
        "folders, patterns and URLs",
    ),
    "repair": CommandInfo(
        "repair",
        "rewrite the serialized arrays stock Keras cannot restore as plain "
        "values, so every Keras 3 release loads the file",
    ),
    "run": CommandInfo(
        "run", "run a command with the shim in every Python process it starts"
    ),
    "install-startup-hook": CommandInfo(
        "startup_hook",
        "install a .pth hook that applies the shim in every interpreter of this "
        "environment when Keras is imported",
    ),
    "uninstall-startup-hook": CommandInfo(
        "startup_hook",
        "remove a .pth hook that applies the shim in every interpreter of this "
        "environment when Keras is imported",
    ),
}


def load(name: str) -> ModuleType:
    """The module of the command called ``name``."""
    return importlib.import_module(f"{__name__}.{COMMANDS[name].module}")
