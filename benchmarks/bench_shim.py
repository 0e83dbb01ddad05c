"""What the shim costs: import time, and per-call time after a reload.

Prints, measured side by side in one run:
- the time ``import keras_rescaling_patch`` adds on top of an imported
  Keras (target: 2 ms or less), median of fresh interpreters;
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

from support.processes import environment

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IMPORT_RUNS = 7
CALL_REPEATS = 15
CALLS_PER_REPEAT = 200

IMPORT_SNIPPET = """
import time, keras
start = time.perf_counter()
import keras_rescaling_patch
elapsed = time.perf_counter() - start
assert keras_rescaling_patch.status().active
print(elapsed)
"""


def import_cost_ms() -> float:
    """Median over fresh interpreters, with bytecode cached as after an install."""
    samples = []
    with tempfile.TemporaryDirectory() as pycache:
        env = environment(PYTHONPYCACHEPREFIX=pycache)
        for run in range(IMPORT_RUNS + 1):
            out = subprocess.run(
                [sys.executable, "-c", IMPORT_SNIPPET],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
            if run > 0:  # the first run only writes the bytecode cache
                samples.append(float(out.strip().splitlines()[-1]) * 1e3)
    return statistics.median(samples)


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
    import_ms = import_cost_ms()
    memory_us, reloaded_us = call_times_us()
    print(
        f"import keras_rescaling_patch after keras: {import_ms:.2f} ms "
        f"(target <= 2 ms; ratio to target {import_ms / 2:.2f})"
    )
    print(f"Rescaling call, built in memory:      {memory_us:.1f} us")
    print(f"Rescaling call, reloaded under shim:  {reloaded_us:.1f} us")
    print(
        f"ratio reloaded / in memory: {reloaded_us / memory_us:.2f} "
        "(target 1.00 within noise)"
    )


if __name__ == "__main__":
    main()
