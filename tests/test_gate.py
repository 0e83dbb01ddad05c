"""The gate: version range first, then the behavioural probe."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import keras_rescaling_patch
from keras_rescaling_patch._keras_releases import PRISTINE_RESCALING_SHA256
from keras_rescaling_patch.runtime import gate
from keras_rescaling_patch.runtime.gate import Probe, decide
from tests.conftest import AffectedModel
from tests.subprocesses import ROOT, Venv, environment, run_python


class KnownShape:
    """A stand-in with the attributes and signature of the real Rescaling."""

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        self.scale, self.offset = scale, offset

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "offset": self.offset}

    def call(self, inputs: Any) -> Any:
        return inputs


class OtherSignature(KnownShape):
    def __init__(self, factor: Any, **kwargs: Any) -> None:  # type: ignore[override]
        pass

    get_config = KnownShape.get_config
    call = KnownShape.call


def probe_says(result: Probe) -> Any:
    def fake_probe(cls: type) -> Probe:
        return result

    return fake_probe


@pytest.mark.parametrize(
    ("version", "cls", "probe", "affected", "patchable", "words"),
    [
        (None, None, Probe.BUGGY, False, False, "not installed"),
        ("2.15.0", KnownShape, Probe.BUGGY, False, False, "Keras 2"),
        ("not-a-version", KnownShape, Probe.BUGGY, False, False, "cannot be parsed"),
        ("3.4.1", OtherSignature, Probe.BUGGY, False, False, "does not take"),
        ("3.4.1", object(), Probe.BUGGY, False, False, "not a class"),
        ("3.5.0", KnownShape, Probe.BUGGY, False, True, "can be removed"),
        ("3.15.1", KnownShape, Probe.BUGGY, False, True, "can be removed"),
        ("3.0.0", KnownShape, Probe.BUGGY, True, True, "#20072"),
        ("3.4.1", KnownShape, Probe.BUGGY, True, True, "#20072"),
        (
            "3.5.0.dev2024080103",
            KnownShape,
            Probe.FIXED,
            False,
            True,
            "patched or vendored",
        ),
        ("3.4.1", KnownShape, Probe.FIXED, False, True, "patched or vendored"),
        ("3.4.1", KnownShape, Probe.UNEXPECTED, False, False, "did not behave"),
    ],
)
def test_decision(
    version: str | None,
    cls: object,
    probe: Probe,
    affected: bool,
    patchable: bool,
    words: str,
) -> None:
    verdict = decide(version, cls, probe_says(probe))
    assert (verdict.keras_version, verdict.affected, verdict.patchable) == (
        version,
        affected,
        patchable,
    )
    assert words in verdict.reason


def test_probe_is_not_run_outside_the_affected_range() -> None:
    def must_not_run(cls: type) -> Probe:
        raise AssertionError("probed")

    assert not decide("3.5.0", KnownShape, must_not_run).affected


def test_probe_sees_stock_and_vendored_fix(shim_restored: None) -> None:
    keras_rescaling_patch.remove()
    assert gate.probe(keras.layers.Rescaling) is Probe.BUGGY

    class VendoredFix(keras.layers.Rescaling):
        """What a Keras with patches/ applied looks like to the probe."""

        def get_config(self) -> dict[str, Any]:
            config = super().get_config()
            config["scale"] = keras.saving.serialize_keras_object(self.scale)
            return config

    assert gate.probe(VendoredFix) is Probe.FIXED

    class Unrecognised(KnownShape):
        def get_config(self) -> dict[str, Any]:
            return {"scale": list(self.scale)}

    assert gate.probe(Unrecognised) is Probe.UNEXPECTED


def test_probe_leaves_automatic_layer_names_alone(shim_restored: None) -> None:
    keras_rescaling_patch.remove()
    keras.utils.clear_session()
    gate.probe(keras.layers.Rescaling)
    assert keras.layers.Rescaling(np.ones(1)).name == "rescaling"


REPORT_SNIPPET = """
import json, logging, sys, warnings
logging.basicConfig(
    level=logging.INFO, stream=sys.stdout, format="LOG %(name)s %(message)s"
)
import keras
own = keras.layers.Rescaling.__dict__
names = ("__init__", "get_config", "from_config")
stock = {n: own.get(n) for n in names}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import keras_rescaling_patch as krp
touched = [n for n, v in stock.items() if own.get(n) is not v]
s = krp.status()
report = {"version": s.keras_version, "affected": s.affected, "active": s.active}
report.update(reason=s.reason, touched=touched, removed=krp.remove())
report["warnings"] = [w.category.__name__ for w in caught]
report["restored"] = all(own.get(n) is v for n, v in stock.items())
print(json.dumps(report))
"""


@pytest.mark.slow
def test_real_keras_3_5_0_is_left_alone(installed_fixed: Venv) -> None:
    completed = run_python(REPORT_SNIPPET, python=installed_fixed.python)
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = completed.stdout.splitlines()
    report = json.loads(lines[-1])
    assert report["version"] == "3.5.0"
    assert (report["affected"], report["active"], report["touched"]) == (
        False,
        False,
        [],
    )
    assert "can be removed" in report["reason"]
    log_lines = [line for line in lines if line.startswith("LOG keras_rescaling_patch")]
    assert len(log_lines) == 1 and "can be removed" in log_lines[0]
    assert report["warnings"] == ["NotNeededWarning"]


@pytest.mark.slow
def test_forcing_on_keras_3_5_0_patches_and_removes_cleanly(
    installed_fixed: Venv,
) -> None:
    completed = run_python(
        REPORT_SNIPPET,
        python=installed_fixed.python,
        env=environment(KERAS_RESCALING_PATCH="force"),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.splitlines()[-1])
    assert (report["affected"], report["active"]) == (False, True)
    assert report["reason"].startswith("Shim active because it was forced")
    assert report["warnings"] == []
    assert report["removed"] and report["restored"]


def test_a_stock_class_is_known_by_its_source_without_the_probe(
    shim_restored: None,
) -> None:
    keras_rescaling_patch.remove()
    assert gate.stock_source(keras.layers.Rescaling)
    assert gate.probe(keras.layers.Rescaling) == Probe.BUGGY  # they agree

    class Subclass(keras.layers.Rescaling):
        pass

    assert not gate.stock_source(Subclass)
    keras_rescaling_patch.apply()
    assert not gate.stock_source(keras.layers.Rescaling)  # methods replaced


def test_the_known_sources_are_the_pristine_files_the_diffs_name() -> None:
    headers = {
        match[1]
        for path in (ROOT / "patches").glob("keras+*.patch")
        for match in re.finditer(r"^Pristine-SHA256: (\w+)$", path.read_text(), re.M)
    }
    assert headers == set(PRISTINE_RESCALING_SHA256)


SILENCE = "ignore:keras-rescaling-patch is not needed"


@pytest.mark.slow
@pytest.mark.parametrize("order", ["keras first", "the package first"])
def test_the_not_needed_warning_can_be_silenced_from_the_environment(
    order: str, installed_fixed: Venv
) -> None:
    """As the README says, for the installed package: PYTHONWARNINGS (or -W)
    with the words the warning starts with; nothing else is printed."""
    code = (
        "import keras, keras_rescaling_patch"
        if order == "keras first"
        else "import keras_rescaling_patch, keras"
    )
    loud = installed_fixed.run("python", "-c", code)
    # Attributed to the user's own line, not to this package's code.
    assert loud.stderr.startswith(
        "<string>:1: NotNeededWarning: keras-rescaling-patch is not needed here and "
        "can be removed: "
        "Keras 3.5.0 already contains the fix"
    ), loud.stderr
    quiet = installed_fixed.run("python", "-c", code, PYTHONWARNINGS=SILENCE)
    assert (quiet.returncode, quiet.stderr) == (0, "")
    flag = installed_fixed.run("python", "-W", SILENCE, "-c", code)
    assert (flag.returncode, flag.stderr) == (0, "")


FORCED_LOAD = """
import sys, numpy as np
import keras_rescaling_patch as krp
import keras
assert krp.status().active
model = keras.models.load_model(sys.argv[1])
layer = keras.layers.Rescaling(np.array([2.0]), np.array([1.0]))
again = keras.layers.Rescaling.from_config(layer.get_config())
out = np.asarray(model(np.load(sys.argv[2])))
print(out.tobytes().hex(), type(again.scale).__name__)
"""


@pytest.mark.slow
def test_a_forced_shim_on_keras_3_5_0_still_loads_what_it_loads(
    affected_model: AffectedModel, tmp_path: Path, installed_fixed: Venv
) -> None:
    """force patches a fixed Keras too: it must not change what it does."""
    model = affected_model.copy_to(tmp_path)
    arguments = [str(model), str(affected_model.inputs_path)]
    completed = run_python(
        FORCED_LOAD,
        python=installed_fixed.python,
        env=environment(KERAS_RESCALING_PATCH="force"),
        arguments=arguments,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    output, kind = completed.stdout.split()
    assert bytes.fromhex(output) == affected_model.expected.tobytes()
    assert kind == "ndarray"


@pytest.mark.parametrize(
    ("chosen", "words"),
    [
        ("", "its jax backend is not installed"),
        ("jax", "its jax backend is not installed"),
        ("numpy", "its numpy backend needs jax, which is not installed"),
    ],
)
def test_a_missing_backend_module_is_named_with_the_backend_that_needs_it(
    chosen: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keras 3.0-3.4's numpy backend imports jax: a user who chose numpy
    is told that, not that a backend they never chose is missing."""
    monkeypatch.setenv("KERAS_BACKEND", chosen)
    verdict = gate.verdict_for_import_error(ModuleNotFoundError(name="jax"))
    assert f"cannot be imported: {words} (No module named 'jax')" in verdict.reason


def test_a_keras_that_fails_to_import_is_not_taken_for_no_keras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``check`` says "nothing to check" only where there is nothing: no
    Keras at all, or a Keras 2, even one that cannot be imported."""
    monkeypatch.setattr(gate, "distribution_version", lambda *names: None)
    broken = gate.verdict_for_import_error(RuntimeError("boom"))
    assert not broken.nothing_to_patch and "boom" in broken.reason
    missing = ModuleNotFoundError("No module named 'keras'", name="keras")
    assert gate.verdict_for_import_error(missing).nothing_to_patch
    monkeypatch.setattr(gate, "distribution_version", lambda *names: "2.15.0")
    keras_2 = gate.verdict_for_import_error(ModuleNotFoundError("numpy", name="numpy"))
    assert keras_2.nothing_to_patch and "is Keras 2" in keras_2.reason
