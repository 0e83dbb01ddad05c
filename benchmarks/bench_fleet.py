"""What scanning a fleet costs: many local files, and a big remote one.

Prints, measured in one run:
- ``keras-rescaling-patch scan FOLDER`` of 10,000 small ``.keras`` models,
  the command as a whole (target: under 10 s on a 2-core machine), beside
  reading every byte of the same files with ``cat`` (the disk's floor);
- the same scan by this tree's code and by the code before ``scan`` judged
  every class (``BASELINE``, a commit of this repository, taken with ``git
  archive``), side by side, runs interleaved, on a one-layer config and on
  a 24-layer one (target: this tree within 10% of the baseline);
- a 200 MiB ``.keras`` model scanned over HTTP from a range-capable server
  on loopback that counts what it sends: requests and bytes, against the
  file's size (target: at most 3 requests and 256 KiB plus config.json).

Run: ``make bench`` (or ``python benchmarks/bench_fleet.py``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from support.processes import environment  # noqa: E402
from support.synthetic import CONFIG, synthetic_archive  # noqa: E402

FILES = 10_000
BIG = 200 << 20
CLI = str(Path(sys.executable).with_name("keras-rescaling-patch"))
# The last commit before scan judged every class and argument per release
# (issue 29).
BASELINE = os.environ.get("BENCH_BASELINE", "afc4415")


def small_model(path: Path) -> Path:
    return synthetic_archive(path, 4096)


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=environment(), stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - began


def many_files(folder: Path) -> None:
    models = folder / "models"
    models.mkdir()
    one = small_model(folder / "one.keras")
    for number in range(FILES):
        shutil.copyfile(one, models / f"m{number:05d}.keras")
    timed([CLI, "scan", str(models)])  # the page cache warm for both
    scan = min(timed([CLI, "scan", str(models)]) for _ in range(3))
    floor = min(
        timed(["sh", "-c", f"cat {models}/*.keras > /dev/null"]) for _ in range(3)
    )
    print(
        f"scan of {FILES} small .keras files, the command as a whole: {scan:.2f} s "
        f"(target < 10 s); cat of the same files: {floor:.2f} s "
        f"(ratio {scan / floor:.1f})"
    )


def big_remote(folder: Path) -> None:
    from support.servers import RangeServer

    served = folder / "served"
    served.mkdir()
    synthetic_archive(served / "big.keras", BIG)
    with zipfile.ZipFile(served / "big.keras") as archive:
        config = archive.getinfo("config.json").file_size
    server = RangeServer(served)
    try:
        subprocess.run(
            [CLI, "scan", f"{server.url}/big.keras"],
            env=environment(),
            stdout=subprocess.DEVNULL,
            check=False,
        )
        requests, sent = len(server.requests), server.bytes_sent
    finally:
        server.close()
    size = (served / "big.keras").stat().st_size
    print(
        f"scan of a {size >> 20} MiB .keras over HTTP: {requests} requests, "
        f"{sent} bytes sent by the server ({sent / size:.5f} of the file; target "
        f"<= 3 requests and <= {256 * 1024 + config} bytes, 256 KiB + config.json)"
    )


def layered_config(layers: int) -> dict[str, object]:
    """A Functional config of ``layers`` Dense layers, each with the
    initializers, regularizer and constraint entries Keras writes, and one
    Rescaling with an array scale: the shape of a small real model."""
    config = json.loads(json.dumps(CONFIG))
    dense = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {
            "name": "dense",
            "trainable": True,
            "dtype": {"module": "keras", "class_name": "DTypePolicy",
                      "config": {"name": "float32"}, "registered_name": None},
            "units": 8,
            "activation": "relu",
            "use_bias": True,
            "kernel_initializer": {"module": "keras.initializers",
                                   "class_name": "GlorotUniform",
                                   "config": {"seed": None}},
            "bias_initializer": {"module": "keras.initializers",
                                 "class_name": "Zeros", "config": {}},
            "kernel_regularizer": {"module": "keras.regularizers",
                                   "class_name": "L2", "config": {"l2": 0.01}},
            "kernel_constraint": None,
        },
        "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                     "config": {"shape": [None, 8],
                                                "dtype": "float32",
                                                "keras_history": ["x", 0, 0]}}],
                           "kwargs": {}}],
    }  # fmt: skip
    for number in range(layers):
        layer = json.loads(json.dumps(dense))
        layer["config"]["name"] = f"dense_{number}"
        config["config"]["layers"].append(layer)
    return config


def _source_of(commit: str, into: Path) -> Path | None:
    """The package as it was at ``commit``, or ``None`` outside a clone."""
    archived = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "keras_rescaling_patch"],
        capture_output=True,
        check=False,
    )
    if archived.returncode:
        return None
    with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def against_baseline(folder: Path) -> None:
    baseline = _source_of(BASELINE, folder / "baseline")
    if baseline is None:
        print(f"scan against {BASELINE}: not a clone holding that commit; skipped")
        return
    trees = {"this tree": ROOT, f"baseline {BASELINE}": baseline}
    for name, config in (("1-layer", CONFIG), ("24-layer", layered_config(24))):
        models = folder / name
        models.mkdir()
        one = folder / f"{name}.keras"
        with zipfile.ZipFile(one, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", json.dumps({"keras_version": "3.4.1"}))
            archive.writestr("config.json", json.dumps(config))
            archive.writestr("model.weights.h5", os.urandom(4096))
        for number in range(FILES):
            shutil.copyfile(one, models / f"m{number:05d}.keras")
        for tree, source in trees.items():  # each run imports the tree it names
            imported = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import keras_rescaling_patch as k; print(k.__file__)",
                ],
                env=environment(PYTHONPATH=str(source)),
                cwd=folder,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert imported.startswith(str(source)), (tree, imported)
        times: dict[str, list[float]] = {tree: [] for tree in trees}
        for _ in range(4):  # interleaved: a slow minute hits both alike
            for tree, source in trees.items():
                command = [sys.executable, "-m", "keras_rescaling_patch"]
                began = time.perf_counter()
                subprocess.run(
                    [*command, "scan", str(models)],
                    env=environment(PYTHONPATH=str(source)),
                    cwd=folder,
                    stdout=subprocess.DEVNULL,
                    check=False,
                )
                times[tree].append(time.perf_counter() - began)
        ours, theirs = (min(values[1:]) for values in times.values())
        print(
            f"scan of {FILES} {name} models ({one.stat().st_size} bytes each): "
            f"this tree {ours:.2f} s, baseline {BASELINE} {theirs:.2f} s "
            f"(ratio {ours / theirs:.3f}; target <= 1.10)"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        many_files(Path(folder))
    with tempfile.TemporaryDirectory() as folder:
        against_baseline(Path(folder))
    with tempfile.TemporaryDirectory() as folder:
        big_remote(Path(folder))


if __name__ == "__main__":
    main()
