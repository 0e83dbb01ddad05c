"""The shim takes effect in every import order real programs use.

Each order is a script run in a fresh interpreter, as a user writes it,
that loads an affected ``.keras`` file and compares the output with the
original model's bit for bit. Every script runs twice:

- ``import``: the script imports ``keras_rescaling_patch`` itself, where
  the order puts it (the lines marked ``# shim``);
- ``hook``: in a throwaway venv with only the start-up hook installed, the
  same script with those lines removed: nothing of ours is imported by it.

With ``pytest --without-shim`` (``make test`` runs it) every child runs with
``KERAS_RESCALING_PATCH=off`` (see tests/subprocesses.py), and every script
must fail: the file and the order really are affected.

The scripts run two at a time (one per core): each pays for importing
TensorFlow, which is the point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import AffectedModel
from tests.subprocesses import environment, in_venv, make_venv

ORDERS = {
    "shim, tensorflow, tf.keras": """
import keras_rescaling_patch  # shim
import tensorflow as tf
load = tf.keras.models.load_model
""",
    "shim, find_spec probe, import keras": """
import keras_rescaling_patch  # shim
import importlib.util
assert importlib.util.find_spec("keras") is not None
import keras
load = keras.models.load_model
""",
    "shim, a keras.src submodule through importlib": """
import keras_rescaling_patch  # shim
import importlib
load = importlib.import_module("keras.src.saving.saving_api").load_model
""",
    "shim, from tensorflow import keras": """
import keras_rescaling_patch  # shim
from tensorflow import keras
load = keras.models.load_model
""",
    "shim, from keras.models import load_model": """
import keras_rescaling_patch  # shim
from keras.models import load_model as load
""",
    "shim, a failed first import of keras, then a successful one": """
import keras_rescaling_patch  # shim
import os, sys
os.environ["KERAS_BACKEND"] = "jax"  # not installed: this import fails
try:
    import keras
except ImportError:
    pass
else:
    raise SystemExit("the first import of keras was meant to fail")
# A backend fallback as programs write it: forget the half-imported Keras.
for name in [n for n in sys.modules if n == "keras" or n.startswith("keras.")]:
    del sys.modules[name]
os.environ["KERAS_BACKEND"] = "tensorflow"
import keras
load = keras.models.load_model
""",
    "keras, shim": """
import keras
import keras_rescaling_patch  # shim
load = keras.models.load_model
""",
    "tensorflow, shim, tf.keras": """
import tensorflow as tf
import keras_rescaling_patch  # shim
load = tf.keras.models.load_model
""",
    "shim, keras imported by four threads at once": """
import keras_rescaling_patch  # shim
import threading
def first_import():
    import keras
threads = [threading.Thread(target=first_import) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
import keras
load = keras.models.load_model
""",
    "shim, status() in a thread during the first import of keras": """
import keras_rescaling_patch  # shim
import json, os, sys, threading, time
krp = sys.modules["keras_rescaling_patch"]  # imported above, or by the hook
def first_import():
    import keras
importer = threading.Thread(target=first_import, daemon=True)
importer.start()
while "keras" not in sys.modules:  # the import has begun
    time.sleep(0.001)
asker = threading.Thread(target=krp.status, daemon=True)
asker.start()
importer.join(90)
asker.join(90)
if importer.is_alive() or asker.is_alive():
    print(json.dumps({"outcome": "deadlock"}), flush=True)
    os._exit(0)
import keras
load = keras.models.load_model
""",
}

COMPARE = """
import json, numpy as np
inputs, expected = np.load({inputs!r}), np.load({expected!r})
try:
    actual = np.asarray(load({model!r})(inputs, training=False))
except Exception as error:
    text = f"{{type(error).__name__}}: {{' '.join(str(error).split())[:300]}}"
    print(json.dumps({{"outcome": "failed", "error": text}}))
else:
    same = actual.dtype == expected.dtype and actual.tobytes() == expected.tobytes()
    print(json.dumps({{"outcome": "identical" if same else "different"}}))
"""

# The scenario of keras-team/keras#20072, as its reporter wrote it.
SEED_SCRIPT = """
import keras_rescaling_patch  # shim
import numpy as np
import tensorflow as tf
import json
np.random.seed(20072)
x, y = np.random.rand(16, 3), np.random.rand(16, 5)
model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(5)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, verbose=0)
model.add(tf.keras.layers.Rescaling(np.random.rand(5)))
before = model.predict(x, verbose=0)
model.save({model!r})
try:
    reloaded = tf.keras.models.load_model({model!r})
    reloaded.compile(optimizer="adam", loss="mse")
    after = reloaded.predict(x, verbose=0)
except Exception as error:
    text = f"{{type(error).__name__}}: {{' '.join(str(error).split())[:300]}}"
    print(json.dumps({{"outcome": "failed", "error": text}}))
else:
    same = after.dtype == before.dtype and after.tobytes() == before.tobytes()
    print(json.dumps({{"outcome": "identical" if same else "different"}}))
"""
SEED = "the #20072 script: shim, numpy, tensorflow, fit, add, save, load, predict"
CASES = [*ORDERS, SEED]
VARIANTS = ["import", "hook"]
TIMEOUT_SECONDS = 240


def script(case: str, variant: str, model: Path, affected: AffectedModel) -> str:
    if case == SEED:
        text = SEED_SCRIPT.format(model=str(model.parent / "seed.keras"))
    else:
        text = ORDERS[case] + COMPARE.format(
            inputs=str(affected.inputs_path),
            expected=str(affected.expected_path),
            model=str(model),
        )
    if variant == "hook":  # the hook alone must do it
        text = "\n".join(line for line in text.splitlines() if "# shim" not in line)
    return text


def run_case(python: str, code: str, env: dict[str, str], cwd: Path) -> dict[str, str]:
    try:
        completed = subprocess.run(
            [python, "-c", code],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "timed out (deadlock?)"}
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"outcome": "crashed", "error": last}
    return dict(json.loads(lines[-1]))


@pytest.fixture(scope="module")
def hook_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A throwaway venv (package + runtime stack) with only the hook installed."""
    venv_bin = make_venv(tmp_path_factory.mktemp("orders") / "venv")
    installed = in_venv(venv_bin, "keras-rescaling-patch", "install-startup-hook")
    assert installed.returncode == 0, installed.stderr
    yield venv_bin


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest,
    affected_model: AffectedModel,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], dict[str, str]]:
    """Every case in every variant, run two at a time; keyed by (variant, case)."""
    hook_python = str(request.getfixturevalue("hook_bin") / "python")
    jobs = {}
    for variant in VARIANTS:
        for number, case in enumerate(CASES):
            folder = tmp_path_factory.mktemp(f"{variant}-{number}")
            model = affected_model.copy_to(folder)
            if variant == "import":
                python, env = sys.executable, environment()
            else:
                python, env = hook_python, environment(source_tree=False)
            code = script(case, variant, model, affected_model)
            jobs[variant, case] = (python, code, env, folder)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(run_case, *job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.fix
@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", CASES)
def test_affected_file_predicts_bit_identically(
    case: str, variant: str, outcomes: dict[tuple[str, str], dict[str, str]]
) -> None:
    result = outcomes[variant, case]
    assert result == {"outcome": "identical"}, result
