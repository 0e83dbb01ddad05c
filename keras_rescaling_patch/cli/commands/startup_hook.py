"""``install-startup-hook`` and ``uninstall-startup-hook``: the ``.pth``
hook that gives every interpreter of this environment the shim
(``runtime/startup_hook.py`` writes and removes it)."""

from __future__ import annotations

import argparse

from keras_rescaling_patch.cli.output import say

DESCRIPTION = (
    "Install (or remove) keras_rescaling_patch_startup.pth in this "
    "interpreter's site-packages (or the user site): a start-up hook "
    "with which every interpreter of the environment gets the shim "
    "when it imports Keras, importing nothing at start-up. The file "
    "is listed in the package's RECORD, so pip uninstall removes it "
    "too. A file of that name not written by this package is left "
    "alone. Exit 0; 2 if the file cannot be written or removed, or is "
    "not ours."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", action="store_true", help="the user site-packages instead"
    )


def run(arguments: argparse.Namespace) -> int:
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
