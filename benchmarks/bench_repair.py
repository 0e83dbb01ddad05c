"""``repair`` streams: its time against ``cp``, and its peak memory.

Builds a synthetic 1 GiB ``.keras`` archive (an affected config and 1 GiB
of stored weights) and times, interleaved and in separate processes:

- ``cp IN OUT``: the floor for copying the bytes; the copy is not yet on
  disk when cp exits;
- ``cp IN OUT`` then ``fsync(OUT)``: the same work ``repair`` does, since
  repair syncs its output before moving it into place (a crash must not
  leave a hollow OUT);
- ``keras-rescaling-patch repair IN -o OUT``, and the same with
  ``--no-sync``, which like cp returns before the data is on disk; the
  peak RSS of each is read from the kernel's accounting of the child
  (``os.wait4``).

Every run starts after ``os.sync()``, so no run pays for the write-back of
the one before it. Targets: repair at most 1.5x cp (compared like for like:
repair with cp+fsync, repair --no-sync with cp), peak RSS under 100 MiB.

Run: ``python benchmarks/bench_repair.py`` (needs about 3 GiB of free disk).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.synthetic import synthetic_archive

REPEATS = 8
# After os.sync(), let the disk finish discarding the last run's blocks.
SETTLE_SECONDS = 0.5
SIZE = 1 << 30


def _timed(command: list[str]) -> tuple[float, int]:
    """Wall time (s) and peak RSS (KiB) of one child process."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    process.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {code}")
    return elapsed, usage.ru_maxrss


def _cp(source: Path, target: Path, sync: bool) -> float:
    began = time.perf_counter()
    _timed(["cp", str(source), str(target)])
    if sync:
        descriptor = os.open(target, os.O_RDONLY)
        os.fsync(descriptor)
        os.close(descriptor)
    return time.perf_counter() - began


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as folder:
        source = synthetic_archive(Path(folder) / "large.keras", SIZE)
        target = Path(folder) / "out.keras"
        repair = [sys.executable, "-m", "keras_rescaling_patch", "repair"]
        repair += [str(source), "-o", str(target)]
        commands = {"repair": repair, "repair --no-sync": [*repair, "--no-sync"]}
        times: dict[str, list[float]] = {
            name: [] for name in ("cp", "cp+fsync", *commands)
        }
        peaks = []
        names = list(times)
        for round_number in range(REPEATS):
            # Rotate the order, so no method always follows the same other one.
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                os.sync()
                time.sleep(SETTLE_SECONDS)
                if name in commands:
                    elapsed, peak = _timed(commands[name])
                    peaks.append(peak)
                else:
                    elapsed = _cp(source, target, sync=name == "cp+fsync")
                times[name].append(elapsed)
                target.unlink()
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"1 GiB .keras, median of {REPEATS} interleaved runs:")
    for name, value in median.items():
        print(f"  {name:17s} {value:.3f} s")
    for name, baseline in (("repair", "cp+fsync"), ("repair --no-sync", "cp")):
        ratio = median[name] / median[baseline]
        print(f"{name} / {baseline}: {ratio:.2f} (target <= 1.5)")
    durable = median["repair"] / median["cp"]
    print(f"repair / cp: {durable:.2f} (the price of reaching the disk)")
    print(f"peak RSS of repair: {max(peaks) / 1024:.1f} MiB (target < 100 MiB)")


if __name__ == "__main__":
    main()
