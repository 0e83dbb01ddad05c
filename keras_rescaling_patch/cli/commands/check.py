"""``check``: save a sample model and reload it without and with the shim,
here, in two fresh interpreters (``cli/selfcheck.py``)."""

from __future__ import annotations

import argparse

from keras_rescaling_patch.cli.commands.status import IMPORTING_KERAS
from keras_rescaling_patch.cli.output import say, waiting_for
from keras_rescaling_patch.cli.signals import terminated_raises

DESCRIPTION = (
    "Save a small model whose Rescaling has array scale and offset, and "
    "reload it in two fresh interpreters at once: one stock, one that "
    "imports keras_rescaling_patch first with the KERAS_RESCALING_PATCH "
    "setting programs here get, loading as users do (tf.keras where "
    "TensorFlow is installed). Exit 0 if the model works with the shim "
    "here, or if there is nothing to check (no Keras, or Keras 2); 1 if "
    "not, or if an installed Keras cannot be imported; 2 if "
    "KERAS_RESCALING_PATCH is not understood."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``check`` takes no arguments."""


def run(arguments: argparse.Namespace) -> int:
    from keras_rescaling_patch.cli import environment, selfcheck

    keras_2 = environment.keras_2_without_importing()
    if keras_2 is not None:  # no model of ours can fail here
        say(f"check: nothing to check: {keras_2}")
        return 0
    with waiting_for(IMPORTING_KERAS):
        report = environment.gather()
    nothing = report.nothing_to_patch_here
    if nothing is not None:  # no Keras, or Keras 2: no model of ours can fail here
        say(f"check: nothing to check: {nothing}")
        return 0
    if not report.keras_importable:
        say(f"check: cannot run: {report.verdict}", error=True)
        return 1
    say(
        f"Checking Keras {report.keras_version} ({report.keras_backend} "
        "backend); this takes up to a minute.",
        flush=True,
    )
    steps = iter(range(1, 3))
    with terminated_raises():  # its children are stopped, its files removed
        result = selfcheck.run_check(
            lambda text: say(f"  [{next(steps)}/2] {text}...", flush=True),
            setting=report.setting,
        )
    for label, reload in (("without", result.without_shim), ("with", result.with_shim)):
        how = f" ({reload.loader})" if reload.loader else ""
        say(f"  reloaded {label} the shim{how}: {reload.describe()}")
    say(result.verdict())
    return 0 if result.ok else 1
