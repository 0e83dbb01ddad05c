"""The start-up hook, in a throwaway venv (it writes into site-packages)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ("keras==", "tensorflow-cpu==", "numpy")


def _uv() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "uv is needed to build the throwaway venv (make test installs it)"
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the pinned runtime stack and this package (not editable)."""
    folder = tmp_path_factory.mktemp("hook") / "venv"
    pins = [
        line.strip()
        for line in (ROOT / "requirements/test.txt").read_text().splitlines()
        if line.startswith(RUNTIME)
    ]
    subprocess.run(
        [_uv(), "venv", "--quiet", "--python", sys.executable, str(folder)], check=True
    )
    python = str(folder / "bin/python")
    install = [_uv(), "pip", "install", "--quiet", "--python", python, *pins, str(ROOT)]
    subprocess.run(install, check=True)
    return folder


def run(venv: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "KERAS_RESCALING"))
    }
    environment.update(TF_CPP_MIN_LOG_LEVEL="3", **env)
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=ROOT / "tests",
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def affected_model(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[list[float]], list[list[float]]]:
    inputs = keras.Input(shape=(3,))
    rescaling = keras.layers.Rescaling(
        np.array([0.5, 2.0, 8.0]), np.array([1.0, 0.0, -1.0])
    )
    model = keras.Model(inputs, rescaling(inputs))
    path = tmp_path_factory.mktemp("model") / "affected.keras"
    model.save(path)
    batch = [[1.0, 2.0, 3.0], [0.25, -1.5, 4.0]]
    expected = keras.ops.convert_to_numpy(model(np.asarray(batch, "float32"))).tolist()
    return path, batch, expected


def spawn_load(
    venv: Path, model: tuple[Path, list[list[float]], list[list[float]]], **env: str
) -> dict[str, object]:
    path, batch, _ = model
    completed = run(
        venv, "python", "spawn_load.py", str(path), json.dumps(batch), **env
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def test_spawned_workers_are_covered_only_while_the_hook_is_installed(
    venv: Path, affected_model: tuple[Path, list[list[float]], list[list[float]]]
) -> None:
    expected = affected_model[2]
    assert spawn_load(venv, affected_model)["ok"] is False  # stock 3.4.1: the bug

    installed = run(venv, "keras-rescaling-patch", "install-startup-hook")
    assert installed.returncode == 0 and "start-up hook installed:" in installed.stdout
    again = run(venv, "keras-rescaling-patch", "install-startup-hook")
    assert again.returncode == 0 and "already installed" in again.stdout
    assert (
        len(
            list(
                venv.glob("lib/python*/site-packages/keras_rescaling_patch_startup.pth")
            )
        )
        == 1
    )

    assert spawn_load(venv, affected_model) == {"ok": True, "output": expected}
    assert spawn_load(venv, affected_model, KERAS_RESCALING_PATCH="off")["ok"] is False

    status = run(venv, "keras-rescaling-patch", "status", "--json")
    hooks = json.loads(status.stdout)["startup_hooks"]
    assert [Path(hook).name for hook in hooks] == ["keras_rescaling_patch_startup.pth"]

    removed = run(venv, "keras-rescaling-patch", "uninstall-startup-hook")
    assert removed.returncode == 0 and "start-up hook removed:" in removed.stdout
    assert spawn_load(venv, affected_model)["ok"] is False
    assert (
        "was not installed"
        in run(venv, "keras-rescaling-patch", "uninstall-startup-hook").stdout
    )


def test_hook_imports_nothing_heavy_and_never_breaks_start_up(venv: Path) -> None:
    assert run(venv, "keras-rescaling-patch", "install-startup-hook").returncode == 0
    try:
        check = (
            "import sys; assert 'keras_rescaling_patch' in sys.modules; "
            + "; ".join(
                f"assert {name!r} not in sys.modules"
                for name in ("keras", "numpy", "tensorflow")
            )
        )
        plain = run(venv, "python", "-c", check)
        assert plain.returncode == 0, plain.stderr
        broken = run(
            venv, "python", "-c", "print('alive')", KERAS_RESCALING_PATCH="bogus"
        )
        assert (broken.returncode, broken.stdout, broken.stderr) == (0, "alive\n", "")
        probe = "import sys; print('keras_rescaling_patch' in sys.modules)"
        off = run(venv, "python", "-c", probe, KERAS_RESCALING_PATCH="off")
        assert off.stdout == "False\n"
    finally:
        run(venv, "keras-rescaling-patch", "uninstall-startup-hook")
