"""Load a model in a worker of a real engine (Dask or Ray); print one JSON line.

Run by tests/test_engines.py with a venv's python. Nothing here imports
keras_rescaling_patch: only the start-up hook can bring the shim into the
workers. Usage: python engine_driver.py {dask,ray} MODEL.keras BATCH_JSON
"""

from __future__ import annotations

import json
import os
import sys


def predict(model_path: str, batch: list[list[float]]) -> dict[str, object]:
    """Runs in the worker process."""
    import keras
    import numpy as np

    try:
        model = keras.models.load_model(model_path)
        output = keras.ops.convert_to_numpy(model(np.asarray(batch, "float32")))
    except Exception as error:  # noqa: BLE001 - reported to the test
        return {"ok": False, "error": type(error).__name__, "pid": os.getpid()}
    rows = [[float(value) for value in row] for row in output]
    return {"ok": True, "output": rows, "pid": os.getpid()}


def on_dask(model_path: str, batch: list[list[float]]) -> dict[str, object]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        result: dict[str, object] = client.submit(
            predict, model_path, batch, pure=False
        ).result()
    return result


def on_ray(model_path: str, batch: list[list[float]]) -> dict[str, object]:
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        result: dict[str, object] = ray.get(
            ray.remote(predict).remote(model_path, batch)
        )
    finally:
        ray.shutdown()
    return result


def main() -> None:
    engine, model_path, batch = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    run = {"dask": on_dask, "ray": on_ray}[engine]
    result = run(model_path, batch)
    result["driver_pid"] = os.getpid()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
