"""The spec is stock Keras 3.5.0: compare with it, case by case, bit by bit."""

from __future__ import annotations

import json
import subprocess

import keras
import pytest

from tests.differential_record import record_all
from tests.subprocesses import Venv, environment

pytestmark = pytest.mark.slow  # runs every case in the Keras 3.5.0 venv too


@pytest.fixture(scope="module")
def reference(
    installed_fixed: Venv, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict]:
    """Every case recorded by stock Keras 3.5.0 (the package switched off)."""
    out = tmp_path_factory.mktemp("reference") / "keras-3.5.0-reference.json"
    env = environment(helpers=True, KERAS_RESCALING_PATCH="off")
    completed = subprocess.run(
        [
            installed_fixed.python,
            "-c",
            "import keras; assert keras.__version__ == '3.5.0', keras.__version__\n"
            "import runpy, sys; sys.argv = ['record', sys.argv[1]]\n"
            "runpy.run_module('tests.differential_record', run_name='__main__')",
            str(out),
        ],
        cwd=out.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def shimmed() -> dict[str, dict]:
    assert keras.__version__ != "3.5.0"
    return json.loads(json.dumps(record_all()))


@pytest.mark.fix
def test_every_case_matches_keras_3_5_0(reference: dict, shimmed: dict) -> None:
    assert reference.keys() == shimmed.keys()
    succeeded = {key: value for key, value in reference.items() if "error" not in value}
    assert len(succeeded) == len(reference), "3.5.0 itself failed some cases"
    mismatches = [key for key in succeeded if shimmed[key] != reference[key]]
    assert not mismatches, mismatches
