"""``status``: what this environment, a program started here and this
process get from the shim, and why (``cli/environment.py`` gathers it)."""

from __future__ import annotations

import argparse
import json

import keras_rescaling_patch
from keras_rescaling_patch.cli.output import printable, say, waiting_for

DESCRIPTION = (
    "Report on this environment (Keras, its backend, TensorFlow, whether "
    "this Keras has the bug, the KERAS_RESCALING_PATCH setting), on what a "
    "program started here gets from the import, the start-up hook and "
    "run, and on this command's own process. Imports Keras (seconds "
    "with TensorFlow). Exit 0; 2 if KERAS_RESCALING_PATCH is not understood."
)
IMPORTING_KERAS = "importing Keras (and its backend) to see what it does here"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def run(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.cli import environment
    from keras_rescaling_patch.runtime import startup_hook

    keras_2 = None if arguments.json else environment.keras_2_without_importing()
    if keras_2 is not None and not startup_hook.installed_hooks():
        say(f"keras-rescaling-patch {keras_rescaling_patch.__version__}: {keras_2}")
        return 0
    with waiting_for(IMPORTING_KERAS):
        report = environment.gather()
    if arguments.json:
        say(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            say(printable(line))
    return 0
