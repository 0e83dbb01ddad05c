"""Run a snippet in a fresh interpreter: for behaviour that happens at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(
    code: str, *, python: str = sys.executable, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    environment.pop("KERAS_RESCALING_PATCH", None)
    environment.update(env or {})
    return subprocess.run(
        [python, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


HEAVY_MODULES = ("keras", "tensorflow", "numpy")


def cli_in_bare_interpreter(arguments: list[str]) -> tuple[int, list[str]]:
    """Run the command line in a fresh interpreter.

    Returns its exit code and which of Keras, TensorFlow and NumPy it
    imported: the file tools must import none of them.
    """
    code = (
        "import json, sys\n"
        "from keras_rescaling_patch.cli import main\n"
        f"code = main({arguments!r})\n"
        f"print(code, json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))\n"
    )
    completed = run_python(code)
    assert completed.returncode == 0, completed.stderr
    exit_code, _, imported = completed.stdout.strip().splitlines()[-1].partition(" ")
    return int(exit_code), json.loads(imported)
