"""KERAS_RESCALING_PATCH decides what the import does (fresh interpreters
of the installed wheel), and where the package's warnings point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.subprocesses import Venv, environment, run_python

pytestmark = pytest.mark.slow  # fresh interpreters that import TensorFlow

STATE = """
import json, keras
stock_init = keras.layers.Rescaling.__init__
import keras_rescaling_patch as krp
s = krp.status()
print(json.dumps({"active": s.active, "affected": s.affected, "reason": s.reason,
                  "untouched": keras.layers.Rescaling.__init__ is stock_init}))
"""


def state(installed: Venv, mode: str) -> dict[str, object]:
    completed = run_python(
        STATE, python=installed.python, env=environment(KERAS_RESCALING_PATCH=mode)
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return dict(json.loads(completed.stdout.splitlines()[-1]))


def test_default_and_auto_apply_on_an_affected_keras(installed: Venv) -> None:
    report = state(installed, "")
    assert (report["active"], report["affected"], report["untouched"]) == (
        True,
        True,
        False,
    )


def test_off_touches_nothing(installed: Venv) -> None:
    report = state(installed, "off")
    assert (report["active"], report["affected"], report["untouched"]) == (
        False,
        True,
        True,
    )
    assert "KERAS_RESCALING_PATCH=off" in str(report["reason"])


def test_force_applies_and_is_case_insensitive(installed: Venv) -> None:
    report = state(installed, " Force ")
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


PROBLEM = (
    "KERAS_RESCALING_PATCH='bogus' is not understood; use one of: auto, off, force"
)


def test_unknown_value_warns_once_when_keras_arrives_and_stays_off(
    installed: Venv,
) -> None:
    completed = run_python(
        UNKNOWN,
        python=installed.python,
        env=environment(KERAS_RESCALING_PATCH="bogus"),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.splitlines()[-1])
    problem = PROBLEM
    assert report["warnings"] == [
        [
            "KerasRescalingPatchWarning",
            f"keras-rescaling-patch: {problem}; the shim was not applied.",
        ]
    ]
    assert report["active"] is False
    assert f"Shim not applied: {problem}. Fix the variable" in report["reason"]


def test_no_keras_means_inactive_without_error(installed: Venv) -> None:
    completed = run_python(
        "import sys; sys.modules['keras'] = None\n"
        "import keras_rescaling_patch as krp\n"
        "s = krp.status(); print(s.active, s.affected, s.keras_version)\n"
        "print(krp.apply(force=True), s.reason)",
        python=installed.python,
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


def test_import_before_keras_patches_when_keras_arrives(installed: Venv) -> None:
    completed = run_python(LAZY.format(between=""), python=installed.python)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines()[-1] == "True"


def test_remove_before_keras_cancels_the_pending_patch(installed: Venv) -> None:
    completed = run_python(
        LAZY.format(between="assert krp.remove() is True"), python=installed.python
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines()[-1] == "False"


def test_a_failing_patch_never_breaks_import_keras(installed: Venv) -> None:
    sabotage = "sys.modules['keras_rescaling_patch.runtime.control'] = None"
    completed = run_python(LAZY.format(between=sabotage), python=installed.python)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines()[-1] == "False"


USER_SCRIPT = """
import keras_rescaling_patch
import tensorflow as tf  # the user's import line: Keras is imported in here
"""


def test_the_warning_points_at_the_users_import_not_at_tensorflow(
    installed: Venv, tmp_path: Path
) -> None:
    """Keras is imported from tensorflow/__init__.py: the user's line is the
    one that imported TensorFlow, in their own script."""
    script = tmp_path / "job.py"
    script.write_text(USER_SCRIPT)
    completed = installed.run("python", str(script), KERAS_RESCALING_PATCH="bogus")
    assert completed.returncode == 0, completed.stderr[-2000:]
    warning = [line for line in completed.stderr.splitlines() if "Warning" in line]
    assert warning == [
        f"{script}:3: KerasRescalingPatchWarning: keras-rescaling-patch: "
        f"{PROBLEM}; the shim was not applied."
    ]
    assert "site-packages/tensorflow" not in completed.stderr


def test_without_a_line_of_the_users_the_warning_stands_alone(
    installed: Venv, tmp_path: Path
) -> None:
    """Everything ran from installed code (here an installed module run with
    -m): no line is named, and the message says whose it is."""
    site = tmp_path / "lib" / "site-packages"
    site.mkdir(parents=True)
    (site / "krp_installed_app.py").write_text(USER_SCRIPT)
    completed = installed.run(
        "python",
        "-m",
        "krp_installed_app",
        KERAS_RESCALING_PATCH="bogus",
        PYTHONPATH=str(site),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stderr.splitlines()[-1:] == [
        "keras_rescaling_patch:0: KerasRescalingPatchWarning: keras-rescaling-patch: "
        f"{PROBLEM}; the shim was not applied."
    ]


REMOVED_STAYS_REMOVED = """
import json, sys
import keras_rescaling_patch as krp
import keras
assert krp.remove()
keras.config.set_backend("jax")  # deletes every keras* module, ours too
import keras
def ours():
    return keras.layers.Rescaling.__dict__.get("from_config") is not None
import keras_rescaling_patch as again
report = {"same module": again is krp,
          "warning": krp.NotNeededWarning.__module__,
          "active": krp.status().active, "patched": ours()}
report["applied"] = krp.apply()
report["patched after apply"] = ours()
print(json.dumps(report))
"""


def test_remove_stays_removed_when_keras_is_imported_again(
    installed_extras: Venv,
) -> None:
    completed = run_python(
        REMOVED_STAYS_REMOVED,
        python=installed_extras.python,
        env=environment(KERAS_BACKEND="jax"),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout.splitlines()[-1]) == {
        "same module": True,
        "warning": "keras_rescaling_patch.runtime.public_types",
        "active": False,
        "patched": False,
        "applied": True,
        "patched after apply": True,
    }
