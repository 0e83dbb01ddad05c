"""The documentation's Dask recipe, run for real: repair prefixes on a cluster.

Run by tests/test_engines.py with a venv's python:
``python dask_repair_driver.py SOURCE_FOLDER OUTPUT_FOLDER CRASH_MARKER``.
Each subfolder of SOURCE_FOLDER is one task: ``repair_many`` into the same
subfolder of OUTPUT_FOLDER. One task kills its worker process once, in the
middle of a repair (its output written to a temporary file, not yet
published; the marker file says it happened); Dask runs that task again
elsewhere. Prints one JSON line: every file's report, and the worker pids.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def _crash_in_the_middle_once(crash_marker: str) -> None:
    """The test's crash: the worker dies after writing m3.keras's result to
    its temporary file, before publishing it, as a killed node would."""
    from keras_rescaling_patch.files.jobs import repair_local

    write = repair_local._write_result

    def write_then_die(descriptor: int, source: Any, *rest: Any) -> None:
        write(descriptor, source, *rest)
        if source.path.endswith("m3.keras") and not os.path.exists(crash_marker):
            Path(crash_marker).write_text(str(os.getpid()))
            os._exit(1)

    repair_local._write_result = write_then_die  # type: ignore[assignment]


def repair_prefix(prefix: str, fixed: str, crash_marker: str) -> list[dict[str, Any]]:
    """Runs in a worker: the recipe's function, plus the crash for the test."""
    from keras_rescaling_patch.files import api

    _crash_in_the_middle_once(crash_marker)
    # force: Dask runs a task again when the worker that held its result
    # dies, and the rerun must replace the first run's (identical) outputs.
    reports = [r.as_dict() for r in api.repair_many([prefix], fixed, force=True)]
    return [{**report, "pid": os.getpid()} for report in reports]


def main() -> None:
    from distributed import Client, LocalCluster

    sources, outputs, marker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    prefixes = sorted(f"{path}/" for path in sources.iterdir() if path.is_dir())
    fixed = [str(outputs / Path(prefix).name) for prefix in prefixes]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        futures = client.map(
            repair_prefix, prefixes, fixed, [marker] * len(prefixes), pure=False
        )
        reports = [r for part in client.gather(futures) for r in part]
    print(json.dumps({"reports": reports, "driver_pid": os.getpid()}))


if __name__ == "__main__":
    main()
