"""What the start-up hook costs an interpreter that never imports Keras.

Builds a throwaway venv with this package (no dependencies needed: the
hook must not import them), then times ``python -c pass`` with and without
the hook, interleaved, and reads the hook's own import time from
``-X importtime``. Target: under 2 ms added.

Run: ``make bench`` (or ``python benchmarks/bench_startup_hook.py``).
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from support.processes import environment, make_venv  # noqa: E402

RUNS = 40
TARGET_MS = 2.0


def start_ms(python: str, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([python, "-c", "pass"], env=env, check=True)
    return (time.perf_counter() - began) * 1e3


def hook_import_us(python: str, env: dict[str, str]) -> int:
    err = subprocess.run(
        [python, "-X", "importtime", "-c", "pass"],
        env=env,
        capture_output=True,
        text=True,
    ).stderr
    match = re.search(r"\|\s+(\d+) \|\s+keras_rescaling_patch$", err, re.MULTILINE)
    return int(match[1]) if match else 0


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        # The package alone: the hook must not need (or import) Keras.
        venv_bin = make_venv(Path(folder) / "venv", runtime=False)
        python = str(venv_bin / "python")
        cli = str(venv_bin / "keras-rescaling-patch")
        env = environment(source_tree=False)
        subprocess.run(
            [python, "-m", "compileall", "-q", str(venv_bin.parent)], check=True
        )
        without, with_hook = [], []
        for _ in range(RUNS):  # interleaved, so drift hits both alike
            subprocess.run(
                [cli, "uninstall-startup-hook"], env=env, capture_output=True
            )
            without.append(start_ms(python, env))
            subprocess.run([cli, "install-startup-hook"], env=env, capture_output=True)
            with_hook.append(start_ms(python, env))
        own = statistics.median(hook_import_us(python, env) for _ in range(9))
    base, hooked = statistics.median(without), statistics.median(with_hook)
    print(f"python -c pass, no hook:   {base:.2f} ms (median of {RUNS})")
    print(f"python -c pass, with hook: {hooked:.2f} ms (median of {RUNS})")
    print(
        f"added: {hooked - base:.2f} ms wall, {own / 1000:.2f} ms in the hook's "
        f"own import (target < {TARGET_MS} ms; ratio {hooked / base:.3f})"
    )


if __name__ == "__main__":
    main()
