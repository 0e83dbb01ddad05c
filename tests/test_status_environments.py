"""`status` and `check` where Keras is installed but cannot be imported."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.subprocesses import in_venv, make_venv

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keras_without_backend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keras 3.3.3 alone: no TensorFlow, JAX or PyTorch."""
    folder = tmp_path_factory.mktemp("no-backend") / "venv"
    return make_venv(folder, "keras==3.3.3", runtime=False, with_deps=True)


def cli(venv_bin: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return in_venv(venv_bin, "keras-rescaling-patch", *arguments)


def test_status_says_keras_is_there_and_a_backend_is_missing(
    keras_without_backend: Path,
) -> None:
    completed = cli(keras_without_backend, "status")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert "  Keras:         3.3.3 (installed, but it cannot be imported)" in lines
    assert "  affected:      unknown until Keras can be imported" in lines
    why = next(line for line in lines if line.startswith("  why:"))
    assert "its tensorflow backend is not installed" in why
    assert "pip install tensorflow-cpu" in why and "KERAS_BACKEND" in why
    report = json.loads(cli(keras_without_backend, "status", "--json").stdout)
    assert (report["keras_version"], report["keras_importable"]) == ("3.3.3", False)
    assert report["affected"] is None  # unknown, as the text says


def test_check_cannot_run_and_says_why_in_one_line(
    keras_without_backend: Path,
) -> None:
    completed = cli(keras_without_backend, "check")
    assert (completed.returncode, completed.stdout) == (1, "")
    assert completed.stderr.startswith("check: cannot run: Keras 3.3.3 is installed")
    assert len(completed.stderr.splitlines()) == 1
