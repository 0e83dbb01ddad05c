"""The README's Dask recipe, run for real: repair a listing on a cluster.

Run by tests/test_engines.py with a venv's python:
``python dask_repair_driver.py SOURCE_FOLDER OUTPUT_FOLDER CRASH_MARKER``.
One task kills its worker process in the middle of writing its output,
once (the marker file says it happened); Dask runs it again elsewhere.
Prints one JSON line: every file's report, and the worker pids seen.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def repair_one(source: str, output: str, crash_marker: str) -> dict[str, Any]:
    """Runs in a worker: the recipe's function, plus a crash for the test."""
    from keras_rescaling_patch.files import api

    def crash_once(copied: int) -> None:
        if Path(source).name == "m3.keras" and not os.path.exists(crash_marker):
            Path(crash_marker).write_text(str(os.getpid()))
            os._exit(1)  # the worker dies mid-write, as a killed node does

    # force: Dask runs a task again when the worker that held its result
    # dies, and the rerun must replace the first run's (identical) output.
    report = api.repair(source, output, force=True, progress=crash_once).as_dict()
    report["pid"] = os.getpid()
    return report


def main() -> None:
    from distributed import Client, LocalCluster

    sources, outputs, marker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    listing = sorted(str(path) for path in sources.glob("*.keras"))
    targets = [str(outputs / Path(path).name) for path in listing]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        futures = client.map(
            repair_one, listing, targets, [marker] * len(listing), pure=False
        )
        reports = client.gather(futures)
    print(json.dumps({"reports": reports, "driver_pid": os.getpid()}))


if __name__ == "__main__":
    main()
