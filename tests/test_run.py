"""``keras-rescaling-patch run -- COMMAND``: the shim for one command's processes.

In a throwaway venv with the package installed as a user installs it (not
editable, no start-up hook), so only ``run`` can bring the shim in.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import AffectedModel
from tests.subprocesses import environment, in_venv, make_venv

pytestmark = pytest.mark.slow

SPAWN_LOAD = Path(__file__).with_name("spawn_load.py")
TF_KERAS_LOAD = """
import json, sys
import numpy as np
import tensorflow as tf
inputs, expected = np.load(sys.argv[2]), np.load(sys.argv[3])
try:
    actual = np.asarray(tf.keras.models.load_model(sys.argv[1])(inputs))
except Exception as error:
    print(json.dumps({"ok": False, "error": type(error).__name__}))
else:
    print(json.dumps({"ok": actual.tobytes() == expected.tobytes()}))
"""


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("run") / "venv")


def launch(
    venv_bin: Path, command: list[str], *, via_run: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    prefix = ["keras-rescaling-patch", "run", "--"] if via_run else []
    return in_venv(venv_bin, *prefix, *command, **env)


def tf_keras_command(
    venv_bin: Path, affected: AffectedModel, folder: Path
) -> list[str]:
    model = affected.copy_to(folder)
    return [
        str(venv_bin / "python"),
        "-c",
        TF_KERAS_LOAD,
        str(model),
        str(affected.inputs_path),
        str(affected.expected_path),
    ]


def outcome(completed: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert completed.returncode == 0, completed.stderr[-2000:]
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


@pytest.mark.fix
def test_tf_keras_script_predicts_bit_identically_under_run(
    venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    # Under --without-shim, KERAS_RESCALING_PATCH=off: run must fail too.
    command = tf_keras_command(venv_bin, affected_model, tmp_path)
    assert outcome(launch(venv_bin, command)) == {"ok": True}


def test_the_same_command_without_run_fails(
    venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    command = tf_keras_command(venv_bin, affected_model, tmp_path)
    assert outcome(launch(venv_bin, command, via_run=False))["ok"] is False
    off = launch(venv_bin, command, KERAS_RESCALING_PATCH="off")
    assert outcome(off)["ok"] is False


@pytest.mark.fix
def test_a_spawned_worker_of_the_command_is_covered(
    venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    model = affected_model.copy_to(tmp_path)
    batch = json.dumps(affected_model.inputs.tolist())
    command = [str(venv_bin / "python"), str(SPAWN_LOAD), str(model), batch]
    assert outcome(launch(venv_bin, command)) == {
        "ok": True,
        "output": affected_model.expected.tolist(),
    }


def test_the_users_own_sitecustomize_still_runs(
    venv_bin: Path, affected_model: AffectedModel, tmp_path: Path
) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "sitecustomize.py").write_text(
        "import os\nos.environ['USER_SITECUSTOMIZE_RAN'] = 'yes'\n"
    )
    probe = (
        "import os, sys\n"
        "print(os.environ.get('USER_SITECUSTOMIZE_RAN'), "
        "'keras_rescaling_patch' in sys.modules)"
    )
    command = [str(venv_bin / "python"), "-c", probe]
    ran = launch(venv_bin, command, PYTHONPATH=str(own))
    assert (ran.returncode, ran.stdout) == (0, "yes True\n"), ran.stderr


def test_exit_codes_and_signals_are_the_commands_own(venv_bin: Path) -> None:
    python = str(venv_bin / "python")
    assert launch(venv_bin, [python, "-c", "raise SystemExit(7)"]).returncode == 7
    killed = launch(
        venv_bin, [python, "-c", "import os, signal; os.kill(os.getpid(), 15)"]
    )
    assert killed.returncode == -signal.SIGTERM
    missing = launch(venv_bin, ["no-such-command-here"])
    assert (missing.returncode, missing.stdout) == (127, "")
    assert missing.stderr == "run: no-such-command-here: command not found\n"


def test_bad_usage_and_a_mistyped_setting_exit_2(venv_bin: Path) -> None:
    cli = str(venv_bin / "keras-rescaling-patch")
    empty = subprocess.run(
        [cli, "run"], capture_output=True, text=True, env=environment()
    )
    assert empty.returncode == 2 and len(empty.stderr.splitlines()) == 1
    typo = launch(venv_bin, ["true"], KERAS_RESCALING_PATCH="atuo")
    assert typo.returncode == 2
    assert typo.stderr == (
        "run: KERAS_RESCALING_PATCH='atuo' is not understood; "
        "use one of: auto, off, force\n"
    )
