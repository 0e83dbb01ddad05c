"""Real worker engines: Dask and Ray workers are covered by the start-up hook.

Slow (each engine starts its own worker processes), so this is its own
tier: ``make test-engines``, which ``.ci/run`` runs. A throwaway venv gets
the runtime stack, the engines (requirements/engines.txt) and this package;
the driver (tests/engine_driver.py) never imports the package, so only the
hook can bring the shim into the workers. Each test checks that the model
was really loaded in another process.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import AffectedModel
from tests.subprocesses import ROOT, environment, in_venv, make_venv

pytestmark = [pytest.mark.engines, pytest.mark.slow]

DRIVER = Path(__file__).with_name("engine_driver.py")
ENGINES = ["dask", "ray"]


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("engines") / "venv"
    return make_venv(folder, "-r", str(ROOT / "requirements" / "engines.txt"))


def load_in_a_worker(
    venv_bin: Path, engine: str, affected: AffectedModel, folder: Path, **env: str
) -> dict[str, object]:
    model = affected.copy_to(folder)
    completed = subprocess.run(
        [str(venv_bin / "python"), str(DRIVER), engine, str(model),
         json.dumps(affected.inputs.tolist())],
        cwd=folder,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = dict(json.loads(completed.stdout.strip().splitlines()[-1]))
    assert report.pop("pid") != report.pop("driver_pid"), "not loaded in a worker"
    return report


def hook(venv_bin: Path, action: str) -> None:
    completed = in_venv(venv_bin, "keras-rescaling-patch", f"{action}-startup-hook")
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_workers_fail_without_the_hook(
    engine: str, venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    report = load_in_a_worker(venv_bin, engine, affected_model, tmp_path)
    assert report == {"ok": False, "error": "ValueError"}


@pytest.mark.fix
@pytest.mark.parametrize("engine", ENGINES)
def test_workers_predict_bit_identically_with_the_hook(
    engine: str, venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    hook(venv_bin, "install")
    try:
        # Under --without-shim, KERAS_RESCALING_PATCH=off switches the hook off.
        report = load_in_a_worker(venv_bin, engine, affected_model, tmp_path)
    finally:
        hook(venv_bin, "uninstall")
    assert report == {"ok": True, "output": affected_model.expected.tolist()}
