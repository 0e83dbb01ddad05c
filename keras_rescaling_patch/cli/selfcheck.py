"""``keras-rescaling-patch check``: does an array-valued Rescaling work here?

Builds a small model whose ``Rescaling`` has array ``scale`` and
``offset``, saves it as ``.keras``, then reloads it in two fresh
interpreters: one that never imports this package, even with the start-up
hook installed or under ``run`` (does the bug reproduce in this
environment?), and one that imports it first and loads the model as users
write it (it must load and predict bit-identically). Both children run at
the same time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras_rescaling_patch

CHILD_SCRIPT = Path(__file__).with_name("selfcheck_child.py")
CHILD_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Reload:
    """What one child process saw."""

    with_shim: bool
    loaded: bool
    identical: bool
    error: str | None
    loader: str | None = None  # "tf.keras" or "keras": how the child loaded

    @property
    def works(self) -> bool:
        return self.loaded and self.identical and self.error is None

    def describe(self) -> str:
        if self.works:
            return "loads and predicts bit-identically"
        if self.error is not None:
            return f"fails: {self.error}"
        return "loads, but predictions differ from the original model"


@dataclass(frozen=True)
class CheckResult:
    """Both reloads, and whether the model works with the shim."""

    without_shim: Reload
    with_shim: Reload
    setting: str = "auto"  # KERAS_RESCALING_PATCH, as programs here see it

    @property
    def ok(self) -> bool:
        return self.with_shim.works

    def verdict(self) -> str:
        if not self.ok and self.setting == "off":
            return (
                "FAIL: KERAS_RESCALING_PATCH=off here, so importing "
                "keras_rescaling_patch does not apply the shim and a model with "
                "array-valued Rescaling does not load; unset it (or set auto)."
            )
        if not self.ok:
            return (
                "FAIL: a model with array-valued Rescaling does not work here "
                "even with keras_rescaling_patch imported; please report it."
            )
        if self.without_shim.works:
            return (
                "OK: this Keras reloads array-valued Rescaling by itself; "
                "the shim is not needed here."
            )
        return (
            "OK: the bug reproduces here, and with keras_rescaling_patch "
            "imported the model loads and predicts exactly."
        )


def build_sample(folder: Path) -> tuple[Path, Path, Path]:
    """Save a small model with per-channel scale and offset, its input and output."""
    import keras
    import numpy as np

    rng = np.random.default_rng(20072)
    inputs = keras.Input(shape=(4, 4, 3))
    rescaled = keras.layers.Rescaling(
        scale=np.array([1 / 255, 2 / 255, 3 / 255]),
        offset=np.array([-1.0, 0.0, 0.5]),
    )(inputs)
    flat = keras.layers.Flatten()(rescaled)
    dense = keras.layers.Dense(2)
    outputs = dense(flat)
    model = keras.Model(inputs, outputs)
    dense.set_weights(
        [rng.normal(size=(48, 2)).astype("float32"), np.zeros(2, "float32")]
    )
    batch = rng.integers(0, 256, size=(5, 4, 4, 3)).astype("float32")
    paths = folder / "sample.keras", folder / "inputs.npy", folder / "expected.npy"
    model.save(paths[0])
    np.save(paths[1], batch)
    np.save(paths[2], np.asarray(model.predict(batch, verbose=0)))
    return paths


def _child_environment(with_shim: bool, setting: str) -> dict[str, str]:
    """The stock child gets ``off``, which the start-up hook and ``run`` obey;
    the other child the setting programs here get, so ``check`` answers for
    them (``off`` there means the import does nothing)."""
    env = dict(os.environ)
    package_parent = str(Path(keras_rescaling_patch.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (package_parent, env.get("PYTHONPATH", "")) if part
    )
    env["KERAS_RESCALING_PATCH"] = setting if with_shim else "off"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _parse(with_shim: bool, process: subprocess.Popen[str]) -> Reload:
    try:
        stdout, stderr = process.communicate(timeout=CHILD_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return Reload(with_shim, False, False, "the reload did not finish in time")
    try:
        report = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        return Reload(with_shim, False, False, f"the child process crashed: {last}")
    error = report.get("error")
    if not with_shim and report.get("shim_imported"):
        error = "keras_rescaling_patch was imported although it was turned off"
    return Reload(
        with_shim,
        loaded=report.get("stage") != "load",
        identical=bool(report.get("identical")),
        error=error,
        loader=report.get("loader"),
    )


def run_check(
    step: Callable[[str], None] = lambda text: None, setting: str = "auto"
) -> CheckResult:
    """Build, save, and reload the sample without and with the shim.

    ``step`` is told, in words, what is about to happen (the command line
    prints it: the whole check takes up to a minute). ``setting`` is the
    ``KERAS_RESCALING_PATCH`` value the second child imports the package
    with: the one programs here get.
    """
    with tempfile.TemporaryDirectory(prefix="keras-rescaling-patch-") as folder:
        step("saving a small model whose Rescaling has array scale and offset")
        model, inputs, expected = build_sample(Path(folder))
        step(
            "reloading it in two fresh interpreters, at the same time: one "
            "stock, one that imports keras_rescaling_patch first"
        )
        children: dict[bool, subprocess.Popen[str]] = {}
        try:
            return _reload_in_children(
                model, inputs, expected, folder, setting, children
            )
        except BaseException:  # Ctrl-C, SIGTERM: the children go too
            for child in children.values():
                child.kill()
                child.wait()
            raise


def _reload_in_children(
    model: Path,
    inputs: Path,
    expected: Path,
    folder: str,
    setting: str,
    children: dict[bool, subprocess.Popen[str]],
) -> CheckResult:
    """Start both children (into ``children``), then wait for their reports."""
    for with_shim in (False, True):
        # Each child gets its own copy: Keras 3.4 unpacks the weights
        # beside the .keras file while loading, so two loads of one file
        # in one folder at the same time can delete each other's copy.
        own = Path(folder) / ("shim" if with_shim else "stock")
        own.mkdir()
        shutil.copy2(model, own / model.name)
        children[with_shim] = subprocess.Popen(
            [
                sys.executable,
                str(CHILD_SCRIPT),
                "--shim" if with_shim else "--stock",
                str(own / model.name),
                str(inputs),
                str(expected),
            ],
            env=_child_environment(with_shim, setting),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    return CheckResult(
        without_shim=_parse(False, children[False]),
        with_shim=_parse(True, children[True]),
        setting=setting,
    )
