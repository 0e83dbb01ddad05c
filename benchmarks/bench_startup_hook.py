"""What the start-up hook costs an interpreter that never imports Keras.

Every Python process of an environment with the hook pays it (pip, health
checks, tools), so the target is a ratio: ``python -c pass`` with the hook
against the same venv with ``KERAS_RESCALING_PATCH=off`` (the ``.pth`` line
is read in both; only the start-up finder differs), at most 1.03. Measured
twice, in alternating pairs (median of the pairs' ratios):

- with bytecode cached for the venv's packages, as pip leaves it;
- with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` in the venv,
  as in images that set the variable, or after ``uv pip install`` (which
  does not compile by default).

Also printed, for information: the hook file against no hook at all.

Run: ``make bench`` (or ``python benchmarks/bench_startup_hook.py``).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from support.processes import environment, make_venv  # noqa: E402

PAIRS = 61
TARGET_RATIO = 1.03


def start_seconds(python: str, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([python, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - began


def ratio(
    python: str, on: dict[str, str], off: dict[str, str]
) -> tuple[float, float, float]:
    """Median ratio over alternating pairs, and the two medians (ms)."""
    samples = []
    for pair in range(PAIRS + 2):
        first, second = (on, off) if pair % 2 else (off, on)
        a, b = start_seconds(python, first), start_seconds(python, second)
        if pair >= 2:  # the first pairs warm the file cache
            samples.append((a, b) if first is on else (b, a))
    return medians(samples)


def medians(samples: list[tuple[float, float]]) -> tuple[float, float, float]:
    """The median of the pairs' ratios, and the median of each side in ms."""
    return (
        statistics.median(a / b for a, b in samples),
        statistics.median(a for a, _ in samples) * 1e3,
        statistics.median(b for _, b in samples) * 1e3,
    )


def drop_bytecode(venv: Path) -> None:
    for cache in venv.rglob("__pycache__"):
        shutil.rmtree(cache)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        # The package alone: the hook must not need (or import) Keras.
        venv_bin = make_venv(Path(folder) / "venv", runtime=False)
        python = str(venv_bin / "python")
        cli = str(venv_bin / "keras-rescaling-patch")
        plain = environment(PYTHONDONTWRITEBYTECODE=None)
        subprocess.run([cli, "install-startup-hook"], env=plain, check=True,
                       capture_output=True)  # fmt: skip
        off = dict(plain, KERAS_RESCALING_PATCH="off")
        cached = ratio(python, plain, off)
        drop_bytecode(venv_bin.parent)
        no_bytecode = dict(plain, PYTHONDONTWRITEBYTECODE="1")
        uncached = ratio(
            python, no_bytecode, dict(no_bytecode, KERAS_RESCALING_PATCH="off")
        )
        subprocess.run([cli, "uninstall-startup-hook"], env=plain, check=True,
                       capture_output=True)  # fmt: skip
        hook_file = ratio_of_files(python, cli, plain)
        [launcher] = venv_bin.parent.glob("lib/*/site-packages/*/runtime/launcher")
        launched = ratio(python, dict(plain, PYTHONPATH=str(launcher)), plain)
    print(f"start-up hook, python -c pass, median of {PAIRS} alternating pairs:")
    for label, (value, hooked, base) in (
        ("bytecode cached", cached),
        ("no bytecode (PYTHONDONTWRITEBYTECODE=1, no __pycache__)", uncached),
    ):
        verdict = "ok" if value <= TARGET_RATIO else "OVER TARGET"
        print(
            f"  {label}: {value:.3f}x of KERAS_RESCALING_PATCH=off "
            f"({hooked:.2f} ms vs {base:.2f} ms; target <= {TARGET_RATIO}: {verdict})"
        )
    value, hooked, base = hook_file
    print(
        f"  the hook file (set to off) against no hook at all: {value:.3f}x "
        f"({hooked:.2f} ms vs {base:.2f} ms)"
    )
    value, hooked, base = launched
    print(
        f"  run's launcher (its sitecustomize, no bytecode) against none: "
        f"{value:.3f}x ({hooked:.2f} ms vs {base:.2f} ms)"
    )


def ratio_of_files(
    python: str, cli: str, env: dict[str, str]
) -> tuple[float, float, float]:
    """The .pth file read but switched off, against no .pth at all."""
    off = dict(env, KERAS_RESCALING_PATCH="off")
    samples = []
    for _ in range(PAIRS):
        subprocess.run([cli, "install-startup-hook"], env=env, capture_output=True)
        a = start_seconds(python, off)
        subprocess.run([cli, "uninstall-startup-hook"], env=env, capture_output=True)
        samples.append((a, start_seconds(python, off)))
    return medians(samples)


if __name__ == "__main__":
    main()
