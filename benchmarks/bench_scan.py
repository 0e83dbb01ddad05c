"""``scan`` reads only config.json: its time must not grow with the weights.

Builds two synthetic ``.keras`` archives with the same config (a model with
an array-valued Rescaling) and 1 MiB or 1 GiB of weights, then times the
scan of each, interleaved. Targets: under 100 ms on the 1 GiB file, and
under 1.2x the time on the 1 MiB file.

Run: ``python benchmarks/bench_scan.py`` (needs about 1 GiB of free disk).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keras_rescaling_patch.files import api
from support.synthetic import synthetic_archive

REPEATS = 25


def scan_ms(path: Path) -> float:
    began = time.perf_counter()
    report = api.scan(path)
    elapsed = (time.perf_counter() - began) * 1e3
    assert len(report.affected) == 1, report
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as folder:
        small = synthetic_archive(Path(folder) / "small.keras", 1 << 20)
        large = synthetic_archive(Path(folder) / "large.keras", 1 << 30)
        small_ms, large_ms = [], []
        for _ in range(REPEATS):
            small_ms.append(scan_ms(small))
            large_ms.append(scan_ms(large))
    small_median, large_median = (
        statistics.median(small_ms),
        statistics.median(large_ms),
    )
    print(f"scan, 1 MiB weights: {small_median:.2f} ms (median of {REPEATS})")
    print(f"scan, 1 GiB weights: {large_median:.2f} ms (target < 100 ms)")
    print(f"ratio 1 GiB / 1 MiB: {large_median / small_median:.2f} (target < 1.2)")


if __name__ == "__main__":
    main()
