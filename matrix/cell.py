"""One cell of the compatibility matrix: a Keras release on one backend.

Runs inside the cell's own environment (made by noxfile.py) and writes one
JSON result. Three steps:

1. Smoke test, before this package is imported: can this Keras run and
   reload a plain model on this backend at all? If not, the cell is "not
   supported upstream" and the error is recorded (it is not our failure).
2. The gate's verdict, from a fresh import of the shim.
3. The shim's behavioural suite (pytest), with the shim active on an
   affected release, and on stock Keras (shim inactive) on a fixed one;
   with it, files saved here, repaired by ``repair`` and loaded here with
   the shim removed.
4. On the TensorFlow backend, the order users write: a file saved by stock
   Keras is loaded by a fresh interpreter that runs ``import
   keras_rescaling_patch``, then ``import tensorflow as tf``, then
   ``tf.keras.models.load_model``; outputs must be bit-identical.

Usage: python matrix/cell.py KERAS_VERSION BACKEND OUT.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from keras_rescaling_patch._keras_releases import is_affected_release  # noqa: E402

SUITE = [
    "tests/test_roundtrips.py",
    "tests/test_scenarios.py",
    "tests/test_applications.py",
    "tests/test_repair_roundtrip.py",
]
SHIM_ONLY_SUITE = ["tests/test_api.py", "tests/test_tf_keras.py"]
# keras.applications models take 10-30 s per cell off TensorFlow: they run on
# every TensorFlow cell, and on the other backends for these releases only.
FULL_APPLICATIONS_ON_EVERY_BACKEND = {"3.0.0", "3.4.1", "3.5.0"}

SMOKE_AND_GATE = """
import json, os, sys, tempfile
import numpy as np
import keras
report = {"keras": keras.__version__, "backend": keras.backend.backend()}
try:
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(2)(keras.layers.Rescaling(0.5)(inputs))
    model = keras.Model(inputs, hidden)
    x = np.ones((2, 3), "float32")
    model(x)
    with tempfile.TemporaryDirectory() as folder:
        model.save(os.path.join(folder, "m.keras"))
        keras.models.load_model(os.path.join(folder, "m.keras"))(x)
except Exception as error:
    text = " ".join(str(error).split())[:300]
    report["smoke_error"] = f"{type(error).__name__}: {text}"
import keras_rescaling_patch
s = keras_rescaling_patch.status()
report["gate"] = {"affected": s.affected, "active": s.active, "reason": s.reason}
print(json.dumps(report))
"""


SAVE_STOCK = """
import sys
import numpy as np
import keras
assert "keras_rescaling_patch" not in sys.modules
folder = sys.argv[1]
inputs = keras.Input(shape=(3,))
layer = keras.layers.Rescaling(np.array([0.5, 2.0, 4.0]), np.array([1.0, 0.0, -1.5]))
model = keras.Model(inputs, layer(inputs))
batch = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
np.save(folder + "/inputs.npy", batch)
np.save(folder + "/expected.npy", keras.ops.convert_to_numpy(model(batch)))
model.save(folder + "/stock.keras")
"""

TF_KERAS_ORDER = """
import keras_rescaling_patch
import sys
import numpy as np
import tensorflow as tf
folder = sys.argv[1]
inputs, expected = np.load(folder + "/inputs.npy"), np.load(folder + "/expected.npy")
actual = np.asarray(tf.keras.models.load_model(folder + "/stock.keras")(inputs))
same = actual.dtype == expected.dtype and actual.tobytes() == expected.tobytes()
print("identical" if same else "different")
"""


def tf_keras_order(env: dict[str, str], folder: Path) -> str:
    """Save with stock Keras, load in the users' order; "identical" or why not."""
    folder.mkdir(parents=True, exist_ok=True)
    stock_env = {**env, "KERAS_RESCALING_PATCH": "off"}
    saved = run([sys.executable, "-c", SAVE_STOCK, str(folder)], stock_env)
    if saved.returncode != 0:
        return f"saving failed: {last_line(saved.stderr)}"
    loaded = run([sys.executable, "-c", TF_KERAS_ORDER, str(folder)], env)
    if loaded.returncode != 0:
        return f"failed: {last_line(loaded.stderr)}"
    return last_line(loaded.stdout)


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def junit_counts(path: Path) -> dict[str, int]:
    suite = ElementTree.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    total = int(suite.get("tests", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))
    return {"passed": total - failed - skipped, "failed": failed, "skipped": skipped}


def main(version: str, backend: str, out: Path) -> int:
    started = time.monotonic()
    affected = is_affected_release(version)
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_RESCALING_PATCH": "auto",
    }
    result: dict[str, object] = {"keras": version, "backend": backend}
    smoke = run([sys.executable, "-c", SMOKE_AND_GATE], env)
    if smoke.returncode != 0:
        result.update(status="not supported upstream", detail=last_line(smoke.stderr))
    else:
        report = json.loads(last_line(smoke.stdout))
        result["gate"] = report["gate"]
        if report["keras"] != version or report["backend"] != backend:
            result.update(status="fail", detail=f"environment mismatch: {report}")
        elif "smoke_error" in report:
            result.update(status="not supported upstream", detail=report["smoke_error"])
        else:
            result.update(
                _run_suite(version, backend, affected, report["gate"], env, out)
            )
    result["seconds"] = round(time.monotonic() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"{version} {backend}: {result['status']} {result.get('detail', '')}")
    return 0  # the status is the result; scripts/matrix_report.py judges it


def _run_suite(
    version: str,
    backend: str,
    affected: bool,
    gate: dict[str, object],
    env: dict[str, str],
    out: Path,
) -> dict[str, object]:
    expected_gate = (affected, affected)
    if (gate["affected"], gate["active"]) != expected_gate:
        return {"status": "fail", "detail": f"gate verdict {gate} on {version}"}
    junit = out.with_suffix(".junit.xml")
    suite = SUITE + (SHIM_ONLY_SUITE if affected else [])
    options = ["-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    if not affected:  # stock Keras: its behaviour, not the shim's extras
        env = {**env, "KRP_EXPECT_FIXED_KERAS": "1"}
        options += ["-m", "not beyond_upstream"]
    if backend != "tensorflow" and version not in FULL_APPLICATIONS_ON_EVERY_BACKEND:
        options += [
            "--deselect",
            "tests/test_applications.py::test_reloads_bit_identically[EfficientNetB0]",
        ]
        options += [
            "--deselect",
            "tests/test_applications.py::test_reloads_bit_identically[MobileNetV3Small]",
        ]
    tests = run([sys.executable, "-m", "pytest", *options, *suite], env)
    counts = junit_counts(junit) if junit.exists() else {}
    if tests.returncode != 0:
        return {
            "status": "fail",
            "tests": counts,
            "detail": last_line(tests.stdout + tests.stderr),
        }
    result: dict[str, object] = {"tests": counts}
    if backend == "tensorflow":
        order = tf_keras_order(env, out.with_suffix(".tf-keras"))
        result["tf_keras_order"] = order
        if order != "identical":
            return {**result, "status": "fail", "detail": f"tf.keras order: {order}"}
    return {**result, "status": "pass" if affected else "not affected"}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
