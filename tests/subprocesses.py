"""Fresh interpreters for the tests: the installed wheel, as users have it.

The environment and the throwaway venvs come from ``support.processes``
(the benchmarks use them too). Every fresh interpreter of the tests runs
the package installed from the built wheel into a venv, with nothing of
this checkout on ``sys.path`` (only the test helpers, where a child needs
them): a test that passes here passes for an installed user.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from support.processes import (
    ROOT,
    RUNTIME_REQUIREMENTS,
    WITHOUT_SHIM,
    built_wheel,
    environment,
    helpers_folder,
    make_venv,
    uv,
)

__all__ = [
    "NOBODY",
    "ROOT",
    "RUNTIME_REQUIREMENTS",
    "WITHOUT_SHIM",
    "Venv",
    "as_another_user",
    "built_wheel",
    "cli_in_bare_interpreter",
    "environment",
    "helpers_folder",
    "in_venv",
    "make_venv",
    "run_python",
    "uv",
]

HEAVY_MODULES = ("keras", "tensorflow", "numpy", "fsspec")


@dataclass(frozen=True)
class Venv:
    """A throwaway venv with the wheel installed; ``bin`` is its bin folder."""

    bin: Path

    @property
    def python(self) -> str:
        return str(self.bin / "python")

    @property
    def cli(self) -> str:
        return str(self.bin / "keras-rescaling-patch")

    @property
    def site_packages(self) -> Path:
        [folder] = self.bin.parent.glob("lib/python*/site-packages")
        return folder

    def run(
        self, program: str, *arguments: str, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``program`` of this venv (an absolute path runs as it is)."""
        return in_venv(self.bin, program, *arguments, **env)


def run_python(
    code: str,
    *,
    python: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
    arguments: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (environment from :func:`environment`)."""
    return subprocess.run(
        [python, "-c", code, *(arguments or [])],
        cwd=cwd if cwd is not None else Path(python).parent,
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
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def cli_in_bare_interpreter(python: str, arguments: list[str]) -> tuple[int, list[str]]:
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
    completed = run_python(code, python=python)
    assert completed.returncode == 0, completed.stderr
    exit_code, _, imported = completed.stdout.strip().splitlines()[-1].partition(" ")
    return int(exit_code), json.loads(imported)


NOBODY = 65534


@functools.cache
def _site_for_nobody() -> Path:
    """The wheel installed (``--target``, no dependencies) where ``nobody``
    can read it: the file tools need only the standard library."""
    folder = Path(tempfile.mkdtemp(prefix="krp-site-for-nobody-"))
    subprocess.run(
        [uv(), "pip", "install", "--quiet", "--no-deps", "--target", str(folder),
         str(built_wheel())],
        check=True, env=environment(),
    )  # fmt: skip
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def as_another_user(
    arguments: list[str], **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run this package's command line as ``nobody`` (the tests run as root).

    The system's Python runs it, from the installed wheel. Skips the test
    where that is not possible.
    """
    import pytest

    if os.geteuid() != 0:
        pytest.skip("needs root, to act as another user")
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 for another user")
    env = environment(PYTHONPATH=str(_site_for_nobody()))
    probe = subprocess.run(
        [python, "-c", "import keras_rescaling_patch.cli.main"],
        env=env, cwd="/", capture_output=True, user=NOBODY,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot import the package: {probe.stderr[-200:]!r}")
    return subprocess.run(
        [python, "-m", "keras_rescaling_patch", *arguments],
        env=env, cwd="/", capture_output=True, text=True, user=NOBODY,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip
