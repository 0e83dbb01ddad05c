"""KERAS_RESCALING_PATCH decides what the import does (fresh interpreters)."""

from __future__ import annotations

import json

import pytest

from tests.subprocesses import environment, run_python

pytestmark = pytest.mark.slow  # fresh interpreters that import TensorFlow

STATE = """
import json, keras
stock_init = keras.layers.Rescaling.__init__
import keras_rescaling_patch as krp
s = krp.status()
print(json.dumps({"active": s.active, "affected": s.affected, "reason": s.reason,
                  "untouched": keras.layers.Rescaling.__init__ is stock_init}))
"""


def state(mode: str) -> dict[str, object]:
    completed = run_python(STATE, env=environment(KERAS_RESCALING_PATCH=mode))
    assert completed.returncode == 0, completed.stderr[-2000:]
    return dict(json.loads(completed.stdout.splitlines()[-1]))


def test_default_and_auto_apply_on_an_affected_keras() -> None:
    report = state("")
    assert (report["active"], report["affected"], report["untouched"]) == (
        True,
        True,
        False,
    )


def test_off_touches_nothing() -> None:
    report = state("off")
    assert (report["active"], report["affected"], report["untouched"]) == (
        False,
        True,
        True,
    )
    assert "KERAS_RESCALING_PATCH=off" in str(report["reason"])


def test_force_applies_and_is_case_insensitive() -> None:
    report = state(" Force ")
    assert (report["active"], report["untouched"]) == (True, False)


UNKNOWN = """
import json, warnings
import keras_rescaling_patch as krp
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import keras
s = krp.status()
print(json.dumps({"active": s.active, "reason": s.reason,
                  "warnings": [(w.category.__name__, str(w.message)) for w in caught]}))
"""


def test_unknown_value_warns_once_when_keras_arrives_and_stays_off() -> None:
    completed = run_python(UNKNOWN, env=environment(KERAS_RESCALING_PATCH="bogus"))
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.splitlines()[-1])
    problem = (
        "KERAS_RESCALING_PATCH='bogus' is not understood; use one of: auto, off, force"
    )
    assert report["warnings"] == [
        ["KerasRescalingPatchWarning", f"{problem}; the shim was not applied."]
    ]
    assert report["active"] is False
    assert f"Shim not applied: {problem}. Fix the variable" in report["reason"]


def test_no_keras_means_inactive_without_error() -> None:
    completed = run_python(
        "import sys; sys.modules['keras'] = None\n"
        "import keras_rescaling_patch as krp\n"
        "s = krp.status(); print(s.active, s.affected, s.keras_version)\n"
        "print(krp.apply(force=True), s.reason)"
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    first, second = completed.stdout.splitlines()[-2:]
    assert first == "False False None"
    assert second == "False Keras is not installed; nothing to patch."


LAZY = """
import sys
import keras_rescaling_patch as krp
assert "keras" not in sys.modules and "tensorflow" not in sys.modules
{between}
import keras

print(keras.layers.Rescaling.__dict__.get("from_config") is not None)
"""


def test_import_before_keras_patches_when_keras_arrives() -> None:
    completed = run_python(LAZY.format(between=""))
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines()[-1] == "True"


def test_remove_before_keras_cancels_the_pending_patch() -> None:
    completed = run_python(LAZY.format(between="assert krp.remove() is True"))
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines()[-1] == "False"


def test_a_failing_patch_never_breaks_import_keras() -> None:
    sabotage = "sys.modules['keras_rescaling_patch.runtime.control'] = None"
    completed = run_python(LAZY.format(between=sabotage))
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines()[-1] == "False"
