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
import shutil
import subprocess
import zipfile
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


DASK_REPAIR = Path(__file__).with_name("dask_repair_driver.py")


def test_repairs_on_a_dask_cluster_lose_no_file_when_a_worker_dies(
    venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    """The documentation's recipe: client.map of repair_many over prefixes,
    on worker processes.

    A worker is killed while it writes one output; Dask runs that task
    again on a worker that lives. Every file gets one result, and every
    output is complete: a repair publishes all of it or nothing.
    """
    sources, outputs = tmp_path / "in", tmp_path / "out"
    names = {}
    for number in range(8):
        team = f"team{number // 4}"
        (sources / team).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(affected_model.path, sources / team / f"m{number}.keras")
        names[f"m{number}.keras"] = team
    marker = tmp_path / "crashed"
    completed = subprocess.run(
        [str(venv_bin / "python"), str(DASK_REPAIR), str(sources), str(outputs),
         str(marker)],
        cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    reports = result["reports"]
    assert marker.exists(), "no worker was killed: the test proved nothing"
    assert int(marker.read_text()) not in {r["pid"] for r in reports}
    assert [(r["status"], r["error"]) for r in reports] == [("repaired", None)] * 8
    assert sorted(Path(r["output"]).name for r in reports) == sorted(names)
    assert all(r["pid"] != result["driver_pid"] for r in reports)
    for name, team in names.items():
        output = outputs / team / name
        with zipfile.ZipFile(output) as archive:
            assert archive.testzip() is None
        assert "__numpy__" not in zipfile.ZipFile(output).read("config.json").decode()
    # What the killed attempt left: at most its hidden temporary file.
    left = {p.name for p in outputs.rglob("*") if p.is_file()} - set(names)
    assert all(name.startswith(".m3.keras.") for name in left), left
