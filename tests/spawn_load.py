"""A serving-style parent: load a model in a spawned worker process.

Nothing here imports keras_rescaling_patch: only the start-up hook can
bring the shim into the worker. Prints one JSON line.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor


def predict(model_path: str, batch: list[list[float]]) -> list[list[float]]:
    import keras
    import numpy as np

    model = keras.models.load_model(model_path)
    output = model(np.asarray(batch, dtype="float32"))
    return [
        [float(value) for value in row] for row in keras.ops.convert_to_numpy(output)
    ]


def main() -> None:
    model_path, batch = sys.argv[1], json.loads(sys.argv[2])
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            output = pool.submit(predict, model_path, batch).result()
        except Exception as error:  # noqa: BLE001 - reported to the test
            print(json.dumps({"ok": False, "error": type(error).__name__}))
            return
    print(json.dumps({"ok": True, "output": output}))


if __name__ == "__main__":
    main()
