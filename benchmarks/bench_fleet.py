"""What scanning a fleet costs: many local files, and a big remote one.

Prints, measured in one run:
- ``keras-rescaling-patch scan FOLDER`` of 10,000 small ``.keras`` models,
  the command as a whole (target: under 10 s on a 2-core machine), beside
  reading every byte of the same files with ``cat`` (the disk's floor);
- a 200 MiB ``.keras`` model scanned over HTTP from a range-capable server
  on loopback that counts what it sends: requests and bytes, against the
  file's size (target: at most 3 requests and 256 KiB plus config.json).

Run: ``make bench`` (or ``python benchmarks/bench_fleet.py``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from support.processes import environment  # noqa: E402
from support.synthetic import synthetic_archive  # noqa: E402

FILES = 10_000
BIG = 200 << 20
CLI = str(Path(sys.executable).with_name("keras-rescaling-patch"))


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


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        many_files(Path(folder))
    with tempfile.TemporaryDirectory() as folder:
        big_remote(Path(folder))


if __name__ == "__main__":
    main()
