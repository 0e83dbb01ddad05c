"""The spec is stock Keras 3.5.0: compare with it, case by case, bit by bit."""

from __future__ import annotations

import json
import os
import subprocess

import keras
import pytest

from tests.differential_record import record_all
from tests.subprocesses import ROOT, environment

pytestmark = pytest.mark.slow  # runs every case in the Keras 3.5.0 venv too


@pytest.fixture(scope="module")
def reference() -> dict[str, dict]:
    python = os.environ.get("KRP_REFERENCE_PYTHON")
    if not python:
        pytest.skip("set KRP_REFERENCE_PYTHON to a Keras 3.5.0 python (make test does)")
    out = ROOT / ".pytest_cache" / "keras-3.5.0-reference.json"
    out.parent.mkdir(exist_ok=True)
    env = environment(KERAS_RESCALING_PATCH="off")
    completed = subprocess.run(
        [
            python,
            "-c",
            "import keras; assert keras.__version__ == '3.5.0', keras.__version__\n"
            "import runpy, sys; sys.argv = ['record', sys.argv[1]]\n"
            "runpy.run_module('tests.differential_record', run_name='__main__')",
            str(out),
        ],
        cwd=ROOT,
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
