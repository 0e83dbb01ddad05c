"""The file tools' work is bounded, and linear within the bounds.

A hostile ``config.json`` can inflate from kilobytes to anything, so
``scan`` and ``repair`` refuse one over ``--max-config-mib`` (default 16)
before parsing it, and ``repair`` refuses a ``scale`` or ``offset`` of
more than ``--max-array-elements`` (default 1,000,000) values before
converting it. This prints, each in a fresh process (``os.wait4`` gives
its peak memory), side by side:

- ``scan`` of configs of 4, 15 and 60 MiB of zeros (the 60 MiB one with the
  limit raised to 64): time, peak RSS, and time per MiB against the 4 MiB
  run (linear: ratios near 1);
- the 62 MB-of-zeros archive of issue #11 at the default limit (refused
  at once);
- ``repair`` of a float64 ``scale`` of 100,000 and 999,999 values (just
  under the default limit; the config is then over 16 MiB, so that limit
  is raised for it): time, peak RSS, time per value against the smaller.

- the costliest config shape (nothing but empty objects or lists, one per
  three bytes) just under the default limit on their number, one per 16
  bytes of ``--max-config-mib`` (a real config has one per ~50 bytes);

Targets: a 60 MiB config scanned in under 5 s and 512 MiB (with the limit
raised; the default limit is 16 MiB); refusals under 0.5 s; the costliest
shape under the default limits in under 5 s and 512 MiB; repair of the
largest default-sized array under 10 s.

Run: ``python benchmarks/bench_limits.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from support.processes import environment  # noqa: E402

CLI = [sys.executable, "-m", "keras_rescaling_patch"]


# Inputs are written in chunks: the measured children's peak memory is read
# with os.wait4, which also counts what a child inherited from this process
# before exec, so this process must stay small.
CHUNK_VALUES = 1 << 20


def zeros_archive(path: Path, mebibytes: float) -> Path:
    """An archive whose config.json inflates to about ``mebibytes`` of zeros."""
    left = int(mebibytes * 1024 * 1024) // 2
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("config.json", "w", force_zip64=True) as stream:
            stream.write(b'{"config": {"values": [0')
            while left > 1:
                count = min(left - 1, CHUNK_VALUES)
                stream.write(b",0" * count)
                left -= count
            stream.write(b"]}}")
    return path


def containers_archive(path: Path, token: bytes, count: int) -> Path:
    """A config of ``count`` empty objects or lists: the costliest shape."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("config.json", "w") as stream:
            stream.write(b'{"a": [' + token)
            for start in range(1, count, CHUNK_VALUES):
                stream.write((b"," + token) * min(CHUNK_VALUES, count - start))
            stream.write(b"]}")
    return path


def array_model(path: Path, elements: int) -> Path:
    """A model .json whose Rescaling scale is a float64 array of ``elements``."""
    head = {
        "module": "keras.layers",
        "class_name": "Rescaling",
        "config": {"name": "rescale", "trainable": True, "scale": "@"},
        "registered_name": None,
    }
    model = {"class_name": "Functional", "config": {"name": "m", "layers": [head]}}
    before, after = json.dumps(model).split('"@"')
    with path.open("w") as stream:
        stream.write(before + '{"class_name": "__numpy__", "config": {"value": [')
        for start in range(0, elements, CHUNK_VALUES):
            stop = min(start + CHUNK_VALUES, elements)
            values = ", ".join(repr(i / 7) for i in range(start, stop))
            stream.write(("" if start == 0 else ", ") + values)
        stream.write('], "dtype": "float64"}}' + after)
    return path


def measured(arguments: list[str]) -> tuple[int, float, float]:
    """Exit code, wall seconds and peak RSS (MiB) of one run of the command."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [*CLI, *arguments],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.perf_counter() - began, usage.ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        print("scan of a config of zeros (fresh process each):")
        per_mib = {}
        for size in (4, 15, 60):
            path = zeros_archive(where / f"zeros-{size}.keras", size)
            flags = ["--max-config-mib", "64"] if size > 16 else []
            code, seconds, peak = measured(["scan", str(path), *flags])
            per_mib[size] = seconds / size
            ratio = per_mib[size] / per_mib[4]
            print(
                f"  {size:3d} MiB: exit {code}, {seconds:5.2f} s, {peak:6.0f} MiB "
                f"peak; time per MiB vs 4 MiB: {ratio:.2f}"
            )
        bomb = zeros_archive(where / "bomb.keras", 62)
        print(f"  62 MB of zeros in {bomb.stat().st_size // 1024} KB, default limit:")
        for command in (["scan", str(bomb)], ["repair", str(bomb), "-o", "/dev/null"]):
            code, seconds, peak = measured(command)
            print(
                f"    {command[0]:6s}: exit {code}, {seconds:5.2f} s, {peak:4.0f} MiB"
            )
        limit = 16 * 1024 * 1024 // 16  # the container limit at the defaults
        print(f"the costliest shape, just under the default limit of {limit:,}:")
        for name, token in (("empty lists", b"[]"), ("empty objects", b"{}")):
            path = containers_archive(where / "containers.keras", token, limit - 2)
            for command in ("scan", "repair"):
                arguments = [command, str(path)]
                if command == "repair":
                    arguments += ["-o", str(where / "out.keras")]
                code, seconds, peak = measured(arguments)
                print(
                    f"  {name:13s} {command:6s}: exit {code}, {seconds:5.2f} s, "
                    f"{peak:4.0f} MiB peak"
                )
            (where / "out.keras").unlink(missing_ok=True)
        print("repair of a float64 scale (fresh process each):")
        per_value = {}
        for elements in (100_000, 999_999):
            path = array_model(where / f"array-{elements}.json", elements)
            out = where / f"out-{elements}.json"
            flags = ["--max-config-mib", "64"]  # isolate the values' own cost
            code, seconds, peak = measured(
                ["repair", str(path), "-o", str(out), *flags]
            )
            per_value[elements] = seconds / elements
            ratio = per_value[elements] / per_value[100_000]
            print(
                f"  {elements:9,d} values: exit {code}, {seconds:5.2f} s, "
                f"{peak:5.0f} MiB peak; time per value vs 100k: {ratio:.2f}"
            )


if __name__ == "__main__":
    main()
