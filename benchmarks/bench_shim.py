"""What the shim costs: import time, and per-call time after a reload.

Prints, measured side by side in one run:
- the time ``import keras_rescaling_patch`` adds on top of an imported
  Keras, in fresh interpreters of a venv where the wheel is installed with
  its bytecode, as a ratio to ``import tomllib`` in the same interpreters
  (a standard-library module of a few hundred lines, so the figure means
  the same on any machine), and in milliseconds (target: 2 ms or less);
- the per-call time of a ``Rescaling`` reloaded under the shim against one
  built in memory with the same arrays (target: ratio 1.00 within noise,
  since ``call`` is not wrapped).

Run: ``make bench`` (or ``python benchmarks/bench_shim.py``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.processes import environment, shared_venv

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IMPORT_RUNS = 9
CALL_REPEATS = 15
CALLS_PER_REPEAT = 200

IMPORT_SNIPPET = """
import sys, time, keras
assert "tomllib" not in sys.modules
start = time.perf_counter()
import keras_rescaling_patch
ours = time.perf_counter() - start
start = time.perf_counter()
import tomllib
reference = time.perf_counter() - start
assert keras_rescaling_patch.status().active
print(ours, reference)
"""


def import_cost() -> tuple[float, float]:
    """Median ms, and median ratio to ``import tomllib``, over fresh
    interpreters of the installed wheel (bytecode compiled at install)."""
    python = str(shared_venv("affected") / "python")
    milliseconds, ratios = [], []
    for _ in range(IMPORT_RUNS):
        out = subprocess.run(
            [python, "-c", IMPORT_SNIPPET],
            capture_output=True,
            text=True,
            check=True,
            env=environment(),
            cwd=Path(python).parent,  # not this checkout: -c puts the folder first
        ).stdout
        ours, reference = map(float, out.strip().splitlines()[-1].split())
        milliseconds.append(ours * 1e3)
        ratios.append(ours / reference)
    return statistics.median(milliseconds), statistics.median(ratios)


def call_times_us() -> tuple[float, float]:
    import keras
    import numpy as np

    import keras_rescaling_patch

    assert keras_rescaling_patch.status().active
    rng = np.random.default_rng(0)
    scale, offset = rng.random(64), rng.normal(size=64)
    batch = rng.random((32, 64)).astype("float32")
    in_memory = keras.layers.Rescaling(scale, offset)
    inputs = keras.Input(shape=(64,))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.keras"
        keras.Model(inputs, keras.layers.Rescaling(scale, offset)(inputs)).save(path)
        reloaded = keras.models.load_model(path).layers[-1]
    assert np.array_equal(
        keras.ops.convert_to_numpy(in_memory(batch)),
        keras.ops.convert_to_numpy(reloaded(batch)),
    )
    memory_samples, reloaded_samples = [], []
    for _ in range(CALL_REPEATS):  # interleaved, so drift hits both alike
        memory_samples.append(
            timeit.timeit(lambda: in_memory(batch), number=CALLS_PER_REPEAT)
        )
        reloaded_samples.append(
            timeit.timeit(lambda: reloaded(batch), number=CALLS_PER_REPEAT)
        )
    per_call = 1e6 / CALLS_PER_REPEAT
    return min(memory_samples) * per_call, min(reloaded_samples) * per_call


def main() -> None:
    import_ms, to_tomllib = import_cost()
    memory_us, reloaded_us = call_times_us()
    print(
        f"import keras_rescaling_patch after keras: {to_tomllib:.2f}x the time of "
        f"import tomllib ({import_ms:.2f} ms here; target <= 2 ms), median of "
        f"{IMPORT_RUNS} fresh interpreters"
    )
    print(f"Rescaling call, built in memory:      {memory_us:.1f} us")
    print(f"Rescaling call, reloaded under shim:  {reloaded_us:.1f} us")
    print(
        f"ratio reloaded / in memory: {reloaded_us / memory_us:.2f} "
        "(target 1.00 within noise)"
    )


if __name__ == "__main__":
    main()
