"""``repair`` of a folder against a loop of single-file ``repair`` calls.

Builds a folder of 1,000 small ``.keras`` archives in ten subfolders, every
other one affected (a Rescaling with an array scale; 64 KiB of stored
weights each), and repairs it twice, side by side in one run:

- a loop, as a shell script would: ``keras-rescaling-patch repair FILE -o
  OUT/SUB/FILE`` once per file, a process each;
- one command: ``keras-rescaling-patch repair IN -o OUT --jobs 2``.

Both wait for every output to reach the disk (the default). Every output
of the one command must be byte-identical to the loop's. Target: the one
command at least 5x faster than the loop. The order of the two alternates
over the repeats, after ``os.sync()``.

Run: ``python benchmarks/bench_repair_many.py [--files N] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.synthetic import numpy_marker, rescaling_config

TARGET = 5.0
WEIGHT_BYTES = 64 * 1024
CLI = [sys.executable, "-m", "keras_rescaling_patch"]


def _store(folder: Path, count: int) -> list[Path]:
    made = []
    weights = os.urandom(WEIGHT_BYTES)
    for number in range(count):
        scale = numpy_marker([0.5, 2.0, 4.0]) if number % 2 == 0 else 0.5
        path = folder / f"team{number % 10}" / f"model{number:04d}.keras"
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", json.dumps({"keras_version": "3.4.1"}))
            archive.writestr("config.json", json.dumps(rescaling_config(scale)))
            archive.writestr("model.weights.h5", weights)
        made.append(path)
    return made


def _loop(made: list[Path], source: Path, output: Path) -> float:
    began = time.perf_counter()
    for path in made:
        target = output / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [*CLI, "repair", str(path), "-o", str(target)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return time.perf_counter() - began


def _folder(source: Path, output: Path) -> float:
    began = time.perf_counter()
    subprocess.run(
        [*CLI, "repair", str(source), "-o", str(output), "--jobs", "2"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def _same(made: list[Path], source: Path, one: Path, other: Path) -> None:
    for path in made:
        below = path.relative_to(source)
        if (one / below).read_bytes() != (other / below).read_bytes():
            raise SystemExit(f"{below}: the outputs differ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    given = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as folder:
        root = Path(folder)
        source = root / "models"
        made = _store(source, given.files)
        loops, folders = [], []
        for repeat in range(given.repeats):
            order = ["loop", "folder"] if repeat % 2 == 0 else ["folder", "loop"]
            for name in order:
                output = root / name
                shutil.rmtree(output, ignore_errors=True)
                os.sync()
                if name == "loop":
                    loops.append(_loop(made, source, output))
                else:
                    folders.append(_folder(source, output))
            _same(made, source, root / "loop", root / "folder")
        loop, one = min(loops), min(folders)
        ratio = loop / one
        print(
            f"repair of {given.files} files (half affected), best of {given.repeats}: "
            f"a loop of single-file calls {loop:.1f} s, one call with --jobs 2 "
            f"{one:.1f} s: {ratio:.1f}x faster (target >= {TARGET:g}x); "
            "outputs byte-identical"
        )
        if ratio < TARGET:
            raise SystemExit(f"below the target: {ratio:.1f}x < {TARGET:g}x")


if __name__ == "__main__":
    main()
