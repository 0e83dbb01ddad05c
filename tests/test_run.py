"""``keras-rescaling-patch run -- COMMAND``: the shim for one command's processes.

In venvs where the wheel is installed as a user installs it (not
editable, no start-up hook), so only ``run`` can bring the shim in.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from support.processes import shared_venv
from tests.conftest import AffectedModel
from tests.subprocesses import Venv, environment, uv

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
OTEL = ("opentelemetry-distro==0.66b2", "opentelemetry-instrumentation==0.66b2")
# No exporter is installed or wanted: OpenTelemetry only has to start.
QUIET_OTEL = {f"OTEL_{kind}_EXPORTER": "none" for kind in ("TRACES", "METRICS", "LOGS")}


def launch(
    venv: Venv,
    command: list[str],
    *,
    via_run: bool = True,
    cwd: Path | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    prefix = [venv.cli, "run", "--"] if via_run else []
    return subprocess.run(
        [*prefix, *command],
        cwd=cwd or venv.bin,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def tf_keras_command(venv: Venv, affected: AffectedModel, folder: Path) -> list[str]:
    model = affected.copy_to(folder)
    return [
        venv.python,
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
    installed: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    # Under --without-shim, KERAS_RESCALING_PATCH=off: run must fail too.
    command = tf_keras_command(installed, affected_model, tmp_path)
    assert outcome(launch(installed, command)) == {"ok": True}


def test_the_same_command_without_run_fails(
    installed: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    command = tf_keras_command(installed, affected_model, tmp_path)
    assert outcome(launch(installed, command, via_run=False))["ok"] is False
    off = launch(installed, command, KERAS_RESCALING_PATCH="off")
    assert outcome(off)["ok"] is False


@pytest.mark.fix
def test_a_spawned_worker_of_the_command_is_covered(
    installed: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    model = affected_model.copy_to(tmp_path)
    batch = json.dumps(affected_model.inputs.tolist())
    command = [installed.python, str(SPAWN_LOAD), str(model), batch]
    assert outcome(launch(installed, command)) == {
        "ok": True,
        "output": affected_model.expected.tolist(),
    }


def users_sitecustomize(folder: Path) -> Path:
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(  # counts runs in its own process
        "import sys\nsys.ran_users_sitecustomize = "
        "getattr(sys, 'ran_users_sitecustomize', 0) + 1\n"
    )
    return folder


PROBE = (
    "import os, sys\n"
    "roles = [getattr(f, 'keras_rescaling_patch_role', 0) for f in sys.meta_path]\n"
    "print(getattr(sys, 'ran_users_sitecustomize', 0), roles.count('startup'))"
)


def test_the_users_own_sitecustomize_still_runs(
    installed: Venv, tmp_path: Path
) -> None:
    own = users_sitecustomize(tmp_path / "own")
    ran = launch(installed, [installed.python, "-c", PROBE], PYTHONPATH=str(own))
    assert (ran.returncode, ran.stdout) == (0, "1 1\n"), ran.stderr


def test_launchers_of_two_installations_chain_once_each(
    installed: Venv, installed_files: Venv, tmp_path: Path
) -> None:
    """A base image's entrypoint plus an app venv: A's run, then B's run."""
    own = users_sitecustomize(tmp_path / "own")
    command = [installed.cli, "run", "--", installed_files.cli, "run", "--"]
    ran = launch(installed, [*command, installed.python, "-c", PROBE],
                 via_run=False, PYTHONPATH=str(own))  # fmt: skip
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "1 1\n", "")


@pytest.mark.parametrize("pythonpath", [":{empty}", "{empty}:", "::{empty}"])
def test_the_child_sees_the_users_pythonpath_exactly(
    pythonpath: str, installed: Venv, tmp_path: Path
) -> None:
    """An empty entry means the current folder, also under run."""
    work = tmp_path / "work"
    (work / "tools").mkdir(parents=True)
    (work / "helper_here.py").write_text("WHERE = 'current folder'\n")
    (work / "tools" / "job.py").write_text(
        "import os, helper_here\nprint(helper_here.WHERE)\n"
        "print(os.environ['PYTHONPATH'])\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    value = pythonpath.format(empty=empty)
    command = [installed.python, "tools/job.py"]
    plain = launch(installed, command, via_run=False, cwd=work, PYTHONPATH=value)
    assert plain.returncode == 0, plain.stderr
    under_run = launch(installed, command, cwd=work, PYTHONPATH=value)
    assert under_run.returncode == 0, under_run.stderr
    where, seen = under_run.stdout.splitlines()
    assert where == plain.stdout.splitlines()[0] == "current folder"
    launcher, _, rest = seen.partition(os.pathsep)
    assert launcher.endswith("keras_rescaling_patch/runtime/launcher")
    assert rest == value


def test_a_script_without_a_shebang_runs_with_sh(
    installed: Venv, tmp_path: Path
) -> None:
    script = tmp_path / "job.sh"
    script.write_text('echo "ran with $0 and $1"\nexit 3\n')
    script.chmod(0o755)
    ran = launch(installed, [str(script), "an-argument"])
    assert (ran.returncode, ran.stdout, ran.stderr) == (
        3,
        f"ran with {script} and an-argument\n",
        "",
    )


def test_another_environments_python_is_named_and_still_runs(
    installed: Venv, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"
    subprocess.run([uv(), "venv", "--quiet", str(bare)], check=True)
    python = str(bare / "bin" / "python")
    ran = launch(installed, [python, "-c", "print('still ran')"])
    assert (ran.returncode, ran.stdout) == (0, "still ran\n")
    assert ran.stderr == (
        f"run: note: {python} cannot import keras_rescaling_patch (it is not this "
        f"environment's Python, {installed.bin / 'python'}), so it runs without the "
        "shim; install the package there, or run this environment's Python\n"
    )
    own = launch(installed, [installed.python, "-c", "print('ran')"])
    assert (own.stdout, own.stderr) == ("ran\n", "")


@pytest.fixture(scope="module")
def with_opentelemetry() -> Venv:
    return Venv(shared_venv("opentelemetry", *OTEL))


@pytest.mark.fix
def test_opentelemetry_instrument_outside_run_keeps_the_shim(
    with_opentelemetry: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    """The order the README gives: opentelemetry-instrument, then run."""
    venv = with_opentelemetry
    command = tf_keras_command(venv, affected_model, tmp_path)
    outside = [str(venv.bin / "opentelemetry-instrument"), venv.cli, "run", "--"]
    ran = launch(venv, [*outside, *command], via_run=False, **QUIET_OTEL)
    assert outcome(ran) == {"ok": True}


def test_opentelemetry_instrument_inside_run_is_named(
    with_opentelemetry: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    """Its sitecustomize goes first and does not run ours: run says so."""
    venv = with_opentelemetry
    command = tf_keras_command(venv, affected_model, tmp_path)
    instrument = str(venv.bin / "opentelemetry-instrument")
    ran = launch(venv, [instrument, *command], **QUIET_OTEL)
    assert outcome(ran) == {"ok": False, "error": "ValueError"}
    assert ran.stderr.startswith(
        "run: note: opentelemetry-instrument puts its own sitecustomize first "
        "and does not run ours"
    )


def test_exit_codes_and_signals_are_the_commands_own(installed: Venv) -> None:
    python = installed.python
    assert launch(installed, [python, "-c", "raise SystemExit(7)"]).returncode == 7
    killed = launch(
        installed, [python, "-c", "import os, signal; os.kill(os.getpid(), 15)"]
    )
    assert killed.returncode == -signal.SIGTERM
    missing = launch(installed, ["no-such-command-here"])
    assert (missing.returncode, missing.stdout) == (127, "")
    assert missing.stderr == "run: no-such-command-here: command not found\n"


def test_bad_usage_and_a_mistyped_setting_exit_2(installed: Venv) -> None:
    empty = subprocess.run(
        [installed.cli, "run"], capture_output=True, text=True, env=environment()
    )
    assert empty.returncode == 2 and empty.stderr.splitlines() == [
        "usage: keras-rescaling-patch run [-h] -- COMMAND [ARGS...]",
        "keras-rescaling-patch run: error: give a command to run, e.g. run -- "
        "python app.py",
    ]
    dashes = subprocess.run(  # only "--": the same
        [installed.cli, "run", "--"], capture_output=True, text=True, env=environment()
    )
    assert (dashes.returncode, dashes.stderr) == (2, empty.stderr)
    typo = launch(installed, ["true"], KERAS_RESCALING_PATCH="atuo")
    assert typo.returncode == 2
    assert typo.stderr == (
        "run: KERAS_RESCALING_PATCH='atuo' is not understood; "
        "use one of: auto, off, force\n"
    )
