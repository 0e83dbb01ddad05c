"""The shim takes effect in every import order real programs use.

Each order is a script run in a fresh interpreter of a venv where the
wheel is installed, as a user writes it, that loads an affected ``.keras``
file and compares the output with the original model's bit for bit. Every
script runs in two or three variants:

- ``import``: the script imports ``keras_rescaling_patch`` itself, where
  the order puts it (the lines marked ``# shim``);
- ``hook``: in a venv with only the start-up hook installed, the same
  script with those lines removed: nothing of ours is imported by it;
- ``run``: the script without those lines, under ``keras-rescaling-patch
  run --`` (for the orders that import Keras a second time or put a finder
  ahead of ours, where the launcher could differ from the hook).

With ``pytest --without-shim`` (``make test`` runs it) every child runs with
``KERAS_RESCALING_PATCH=off`` (see support/processes.py), and every script
must fail: the file and the order really are affected.

The scripts run two at a time (one per core): each pays for importing
TensorFlow or JAX, which is the point.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXTRAS, AffectedModel
from tests.subprocesses import Venv, environment, make_venv


@dataclass(frozen=True)
class Order:
    script: str
    backend: str = "tensorflow"
    extras: bool = False  # needs JAX or typeguard (EXTRAS)
    variants: tuple[str, ...] = ("import", "hook")


ALL_VARIANTS = ("import", "hook", "run")

ORDERS = {
    "shim, tensorflow, tf.keras": Order("""
import keras_rescaling_patch  # shim
import tensorflow as tf
load = tf.keras.models.load_model
"""),
    "shim, find_spec probe, import keras": Order("""
import keras_rescaling_patch  # shim
import importlib.util
assert importlib.util.find_spec("keras") is not None
import keras
load = keras.models.load_model
"""),
    "shim, a keras.src submodule through importlib": Order("""
import keras_rescaling_patch  # shim
import importlib
load = importlib.import_module("keras.src.saving.saving_api").load_model
"""),
    "shim, from tensorflow import keras": Order("""
import keras_rescaling_patch  # shim
from tensorflow import keras
load = keras.models.load_model
"""),
    "shim, from keras.models import load_model": Order("""
import keras_rescaling_patch  # shim
from keras.models import load_model as load
"""),
    "shim, a failed first import of keras, then a successful one": Order("""
import keras_rescaling_patch  # shim
import os, sys
os.environ["KERAS_BACKEND"] = "torch"  # not installed: this import fails
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
"""),
    "keras, shim": Order("""
import keras
import keras_rescaling_patch  # shim
load = keras.models.load_model
"""),
    "tensorflow, shim, tf.keras": Order("""
import tensorflow as tf
import keras_rescaling_patch  # shim
load = tf.keras.models.load_model
"""),
    "shim, keras imported by four threads at once": Order("""
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
"""),
    "shim, status() in a thread during the first import of keras": Order("""
import keras_rescaling_patch  # shim
import json, os, sys, threading, time
def first_import():
    import keras
importer = threading.Thread(target=first_import, daemon=True)
importer.start()
deadline = time.monotonic() + 60
while "keras" not in sys.modules and time.monotonic() < deadline:
    time.sleep(0.001)  # the import has begun (after the hook's hand-over)
krp = sys.modules.get("keras_rescaling_patch")  # imported above, or by the hook
asker = threading.Thread(target=krp.status if krp else print, daemon=True)
asker.start()
importer.join(90)
asker.join(90)
if importer.is_alive() or asker.is_alive():
    print(json.dumps({"outcome": "deadlock"}), flush=True)
    os._exit(0)
import keras
load = keras.models.load_model
"""),
    # Keras imported a second time: each new Rescaling class needs the shim.
    "shim, keras, keras.config.set_backend('jax'), import keras": Order(
        """
import keras_rescaling_patch  # shim
import keras
keras.config.set_backend("jax")  # deletes every keras* module, ours too
import keras
load = keras.models.load_model
""",
        backend="jax",
        extras=True,
        variants=ALL_VARIANTS,
    ),
    "shim, keras, a purge of keras and keras.* by hand, import keras": Order(
        """
import keras_rescaling_patch as krp  # shim
import sys, keras
first = keras.layers.Rescaling
for name in [n for n in sys.modules if n == "keras" or n.startswith("keras.")]:
    del sys.modules[name]
import keras
assert keras.layers.Rescaling is not first
status = krp.status()  # shim
assert status.active and status.affected, status  # shim
assert krp.apply() is True  # shim
load = keras.models.load_model
""",
        backend="jax",
        extras=True,
        variants=ALL_VARIANTS,
    ),
    "shim, keras, a purge of every keras* module, the shim and keras again": Order(
        """
import keras_rescaling_patch as krp  # shim
import sys, keras
for name in [n for n in sys.modules if n.startswith("keras")]:
    del sys.modules[name]
import keras_rescaling_patch as again  # shim
assert again is krp, "a second copy of the package"  # shim
import keras
assert krp.status().active  # shim
load = keras.models.load_model
""",
        backend="jax",
        extras=True,
    ),
    # A finder placed ahead of ours that loads Keras itself.
    "shim, typeguard's import hook for keras, import keras": Order(
        """
import keras_rescaling_patch  # shim
from typeguard import install_import_hook
install_import_hook(["keras"])
import keras
load = keras.models.load_model
""",
        extras=True,
        variants=ALL_VARIANTS,
    ),
    "shim, a finder at sys.meta_path[0] that calls PathFinder, import keras": Order(
        """
import keras_rescaling_patch  # shim
import importlib.machinery, sys
class KerasFirst:
    def find_spec(self, name, path=None, target=None):
        if name == "keras" or name.startswith("keras."):
            return importlib.machinery.PathFinder.find_spec(name, path, target)
        return None
sys.meta_path.insert(0, KerasFirst())
import keras
load = keras.models.load_model
"""
    ),
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
TIMEOUT_SECONDS = 240

# Saves an affected model with stock Keras on the JAX backend (the outputs
# to compare with must come from the same backend).
SAVE_ON_JAX = """
import sys, numpy as np, keras
folder = sys.argv[1]
rng = np.random.default_rng(20072)
inputs = keras.Input(shape=(4,))
rescaled = keras.layers.Rescaling(rng.random(4), rng.normal(size=4), name="rescale")
dense = keras.layers.Dense(2, name="dense")
model = keras.Model(inputs, dense(rescaled(inputs)), name="affected")
dense.set_weights([rng.normal(size=(4, 2)).astype("float32"), np.zeros(2, "float32")])
batch = rng.normal(size=(3, 4)).astype("float32")
np.save(folder + "/inputs.npy", batch)
np.save(folder + "/expected.npy", np.asarray(model(batch, training=False)))
model.save(folder + "/affected.keras")
"""


@dataclass(frozen=True)
class Saved:
    model: Path
    inputs: Path
    expected: Path


def variants_of(case: str) -> tuple[str, ...]:
    return ("import", "hook") if case == SEED else ORDERS[case].variants


PARAMETERS = [(case, variant) for case in CASES for variant in variants_of(case)]


def script(case: str, variant: str, model: Path, saved: Saved) -> str:
    if case == SEED:
        text = SEED_SCRIPT.format(model=str(model.parent / "seed.keras"))
    else:
        text = ORDERS[case].script + COMPARE.format(
            inputs=str(saved.inputs), expected=str(saved.expected), model=str(model)
        )
    if variant != "import":  # the hook, or run, alone must do it
        text = "\n".join(line for line in text.splitlines() if "# shim" not in line)
    return text


def run_case(command: list[str], env: dict[str, str], cwd: Path) -> dict[str, str]:
    try:
        completed = subprocess.run(
            command,
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
def hook_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A venv (wheel, runtime stack, EXTRAS) with only the hook installed."""
    venv = Venv(make_venv(tmp_path_factory.mktemp("orders") / "venv", *EXTRAS))
    installed = venv.run("keras-rescaling-patch", "install-startup-hook")
    assert installed.returncode == 0, installed.stderr
    yield venv


@pytest.fixture(scope="module")
def saved_on_jax(
    installed_extras: Venv, tmp_path_factory: pytest.TempPathFactory
) -> Saved:
    folder = tmp_path_factory.mktemp("saved-on-jax")
    env = environment(KERAS_BACKEND="jax", KERAS_RESCALING_PATCH="off")
    completed = subprocess.run(
        [installed_extras.python, "-c", SAVE_ON_JAX, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return Saved(
        folder / "affected.keras", folder / "inputs.npy", folder / "expected.npy"
    )


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest,
    affected_model: AffectedModel,
    installed: Venv,
    installed_extras: Venv,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], dict[str, str]]:
    """Every case in every variant, run two at a time; keyed by (case, variant)."""
    hook: Venv = request.getfixturevalue("hook_venv")
    on_jax: Saved = request.getfixturevalue("saved_on_jax")
    on_tf = Saved(affected_model.path, affected_model.inputs_path,
                  affected_model.expected_path)  # fmt: skip
    jobs = {}
    for number, (case, variant) in enumerate(PARAMETERS):
        order = ORDERS.get(case, Order(""))
        saved = on_jax if order.backend == "jax" else on_tf
        folder = tmp_path_factory.mktemp(f"{variant}-{number}")
        model = Path(folder) / "affected.keras"
        model.write_bytes(saved.model.read_bytes())
        code = script(case, variant, model, saved)
        venv = installed_extras if order.extras else installed
        if variant == "hook":
            command = [hook.python, "-c", code]
        elif variant == "run":
            command = [venv.cli, "run", "--", venv.python, "-c", code]
        else:
            command = [venv.python, "-c", code]
        env = environment(KERAS_BACKEND=order.backend)
        jobs[case, variant] = (command, env, folder)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(run_case, *job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.fix
@pytest.mark.slow
@pytest.mark.parametrize(("case", "variant"), PARAMETERS)
def test_affected_file_predicts_bit_identically(
    case: str, variant: str, outcomes: dict[tuple[str, str], dict[str, str]]
) -> None:
    result = outcomes[case, variant]
    assert result == {"outcome": "identical"}, result
