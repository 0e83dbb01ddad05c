"""Fresh interpreters for the tests: running code and the command line.

The environment and the throwaway venvs come from ``support.processes``
(the benchmarks use them too); here are the pytest-side helpers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from support.processes import (
    ROOT,
    RUNTIME_REQUIREMENTS,
    WITHOUT_SHIM,
    environment,
    make_venv,
    uv,
)

__all__ = [
    "NOBODY",
    "ROOT",
    "RUNTIME_REQUIREMENTS",
    "WITHOUT_SHIM",
    "as_another_user",
    "cli_in_bare_interpreter",
    "environment",
    "in_venv",
    "make_venv",
    "run_python",
    "uv",
]

HEAVY_MODULES = ("keras", "tensorflow", "numpy")


def run_python(
    code: str,
    *,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 300,
    arguments: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (environment from :func:`environment`)."""
    return subprocess.run(
        [python, "-c", code, *(arguments or [])],
        cwd=cwd,
        env=env if env is not None else environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def in_venv(
    venv_bin: Path, program: str, *arguments: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``program`` of a throwaway venv (an absolute path runs as it is),
    as a user of that venv would: its own installed package, no source tree,
    ``env`` on top of a clean environment."""
    return subprocess.run(
        [str(venv_bin / program), *arguments],
        cwd=venv_bin,
        env=environment(source_tree=False, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def cli_in_bare_interpreter(arguments: list[str]) -> tuple[int, list[str]]:
    """Run the command line in a fresh interpreter.

    Returns its exit code and which of Keras, TensorFlow and NumPy it
    imported: the file tools must import none of them.
    """
    code = (
        "import json, sys\n"
        "from keras_rescaling_patch.cli.main import main\n"
        f"code = main({arguments!r})\n"
        f"print(code, json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))\n"
    )
    completed = run_python(code)
    assert completed.returncode == 0, completed.stderr
    exit_code, _, imported = completed.stdout.strip().splitlines()[-1].partition(" ")
    return int(exit_code), json.loads(imported)


NOBODY = 65534


def as_another_user(
    arguments: list[str], **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run this package's command line as ``nobody`` (the tests run as root).

    The file tools need only the standard library, so the system's Python
    runs them (the test venv's may live where ``nobody`` cannot reach); it
    reads the package from this checkout. Skips the test where that is not
    possible.
    """
    import pytest

    if os.geteuid() != 0:
        pytest.skip("needs root, to act as another user")
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 for another user")
    env = environment()
    probe = subprocess.run(
        [python, "-c", "import keras_rescaling_patch.cli.main"],
        env=env, cwd="/", capture_output=True, user=NOBODY,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot import this checkout: {probe.stderr[-200:]!r}")
    return subprocess.run(
        [python, "-m", "keras_rescaling_patch", *arguments],
        env=env, cwd="/", capture_output=True, text=True, user=NOBODY,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip
