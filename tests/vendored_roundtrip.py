"""Run in a fresh interpreter with a vendored keras/ first on PYTHONPATH.

Saves and reloads a model with array scale and offset WITHOUT the shim,
then imports the shim to read its verdict, and prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main() -> None:
    import keras
    import numpy as np

    report: dict[str, object] = {"keras": keras.__file__, "version": keras.__version__}
    inputs = keras.Input(shape=(3,))
    layer = keras.layers.Rescaling(
        np.array([0.5, 2.0, 4.0]), np.array([1.0, 0.0, -1.0])
    )
    model = keras.Model(inputs, layer(inputs))
    batch = np.random.default_rng(0).random((4, 3)).astype("float32")
    try:
        with tempfile.TemporaryDirectory() as folder:
            model.save(Path(folder) / "m.keras")
            reloaded = keras.models.load_model(Path(folder) / "m.keras")
        same = np.array_equal(
            keras.ops.convert_to_numpy(reloaded(batch)),
            keras.ops.convert_to_numpy(model(batch)),
        )
        report["roundtrip"] = "identical" if same else "different"
    except Exception as error:  # noqa: BLE001 - the report says how it failed
        report["roundtrip"] = f"{type(error).__name__}"
    import keras_rescaling_patch

    status = keras_rescaling_patch.status()
    report.update(affected=status.affected, active=status.active, reason=status.reason)
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
