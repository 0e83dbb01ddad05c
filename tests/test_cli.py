"""The command line: status and check."""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import pytest

import keras_rescaling_patch
from keras_rescaling_patch.cli import selfcheck
from keras_rescaling_patch.cli.main import build_parser, main
from support.processes import shared_venv
from tests.conftest import AffectedModel
from tests.subprocesses import Venv, environment, run_python


def test_status_tells_the_environment_the_programs_and_this_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    tensorflow = importlib.metadata.version("tensorflow-cpu")
    assert lines[:6] == [
        f"keras-rescaling-patch {keras_rescaling_patch.__version__}",
        "This environment:",
        f"  Keras:         {keras.__version__} (tensorflow backend)",
        f"  TensorFlow:    {tensorflow}",
        "  affected:      yes",
        f"  why:           Keras {keras.__version__} cannot reload a Rescaling "
        "layer whose scale or offset is an array (keras-team/keras#20072).",
    ]
    assert "A program started here:" in lines
    assert (
        "  import keras_rescaling_patch: applies the shim the moment the "
        + ("program imports Keras")
        in lines
    )
    assert lines[-3:-1] == ["This command's own process:", "  shim active:   yes"]


def test_status_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["keras_version"] == keras.__version__
    assert report["keras_importable"] is True and report["setting"] == "auto"
    assert report["keras_backend"] == "tensorflow"
    assert report["affected"] is True and report["active"] is True
    assert "#20072" in report["reason"]
    assert set(report["programs"]) == {"import", "startup_hook", "run"}


def test_version_names_the_program_and_the_keras_it_sees(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == (
        f"keras-rescaling-patch {keras_rescaling_patch.__version__} "
        f"(Keras {keras.__version__} installed)\n"
    )


def _all_actions(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        found.append((parser.prog, action))
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                found.append((f"{parser.prog} {choice.dest}", choice))
            for sub in action.choices.values():
                found.extend(_all_actions(sub))
    return found


def test_every_command_and_argument_explains_itself() -> None:
    silent = [
        f"{where}: {action.dest}"
        for where, action in _all_actions(build_parser())
        if not action.help
    ]
    assert silent == []


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["frobnicate"])
    assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_check_reproduces_the_bug_and_passes_with_the_shim(installed: Venv) -> None:
    completed = installed.run("keras-rescaling-patch", "check")
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    out = completed.stdout
    assert "this takes up to a minute" in out.splitlines()[0]
    assert "  [1/2] saving a small model" in out and "  [2/2] reloading it" in out
    assert "reloaded without the shim (tf.keras): fails: " in out
    assert (
        "reloaded with the shim (tf.keras): loads and predicts bit-identically" in out
    )
    assert out.strip().splitlines()[-1].startswith("OK: the bug reproduces here")


@pytest.mark.slow
def test_check_under_jax_loads_as_jax_users_write_it(installed_extras: Venv) -> None:
    """TensorFlow is installed, but the backend is JAX: its users import
    keras, not tf.keras, and check says which it did."""
    completed = installed_extras.run(
        "keras-rescaling-patch", "check", KERAS_BACKEND="jax"
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    out = completed.stdout
    assert "(jax backend)" in out.splitlines()[0]
    assert "reloaded without the shim (keras): fails: " in out
    assert "reloaded with the shim (keras): loads and predicts bit-identically" in out


@pytest.fixture(scope="module")
def installed_legacy_keras() -> Venv:
    """The affected stack beside tf_keras, TensorFlow's Keras 2."""
    return Venv(shared_venv("legacy-keras", "tf_keras==2.16.0"))


@pytest.mark.slow
def test_check_under_legacy_keras_checks_the_keras_the_shim_patches(
    installed_legacy_keras: Venv,
) -> None:
    """With TF_USE_LEGACY_KERAS, tf.keras is Keras 2: loading a Keras 3
    model through it would fail for a reason that is not the bug."""
    completed = installed_legacy_keras.run(
        "keras-rescaling-patch", "check", TF_USE_LEGACY_KERAS="1"
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    out = completed.stdout
    assert "reloaded without the shim (keras): fails: " in out
    assert "reloaded with the shim (keras): loads and predicts bit-identically" in out


@pytest.mark.slow
def test_sigterm_during_check_stops_its_children_and_removes_its_files(
    installed: Venv, tmp_path: Path
) -> None:
    """A service manager's TERM: exit 143, no child left running, no
    temporary folder left behind."""
    process = subprocess.Popen(
        [installed.cli, "check"],
        env=environment(TMPDIR=str(tmp_path)), cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("keras-rescaling-patch-*/shim")):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # both children are starting
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (143, "check: terminated\n")
    assert list(tmp_path.iterdir()) == []
    left = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True)
    assert left.stdout == b"", "a child of check is still running"


def test_check_finds_the_backend_as_keras_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keras_rescaling_patch.cli import selfcheck_child

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert selfcheck_child._configured_backend() == "tensorflow"  # no keras.json
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    assert selfcheck_child._configured_backend() == "jax"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert selfcheck_child._configured_backend() == "torch"
    (tmp_path / "keras.json").write_text("[not a config")
    monkeypatch.delenv("KERAS_BACKEND")
    assert selfcheck_child._configured_backend() == "tensorflow"


def test_check_fails_when_the_shimmed_reload_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = selfcheck.Reload(
        with_shim=True, loaded=False, identical=False, error="boom"
    )
    fine = selfcheck.Reload(with_shim=False, loaded=True, identical=True, error=None)
    monkeypatch.setattr(
        selfcheck,
        "run_check",
        lambda step, setting: selfcheck.CheckResult(fine, broken),
    )
    assert main(["check"]) == 1
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("FAIL")


RECORD_CHILDREN = """
import json
from keras_rescaling_patch.cli import selfcheck
seen = []
real_popen = selfcheck.subprocess.Popen
def recording_popen(command, *arguments, **kwargs):
    if str(selfcheck.CHILD_SCRIPT) in command:
        seen.append(command[3])
    return real_popen(command, *arguments, **kwargs)
selfcheck.subprocess.Popen = recording_popen
print(json.dumps({"ok": selfcheck.run_check().ok, "models": seen}))
"""


@pytest.mark.slow
def test_check_children_never_share_a_model_file(installed: Venv) -> None:
    """Keras 3.4 unpacks weights beside the .keras file while loading: two
    concurrent loads of one file in one folder can delete each other's copy
    (seen as a flaky FileNotFoundError for model.weights.h5)."""
    completed = run_python(RECORD_CHILDREN, python=installed.python)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.splitlines()[-1])
    folders = {str(Path(path).parent) for path in report["models"]}
    assert report["ok"] and len(report["models"]) == 2 and len(folders) == 2


@pytest.mark.slow
def test_check_answers_for_the_setting_programs_here_get(installed: Venv) -> None:
    """With KERAS_RESCALING_PATCH=off the import does nothing: check says so."""
    completed = installed.run(
        "keras-rescaling-patch", "check", KERAS_RESCALING_PATCH="off"
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr[-2000:]
    last = completed.stdout.strip().splitlines()[-1]
    assert last.startswith("FAIL: KERAS_RESCALING_PATCH=off here")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arguments", "code"), [(["--version"], 0), (["scan", "{model}"], 1)]
)
def test_a_full_output_device_is_one_line_and_keeps_the_exit_code(
    arguments: list[str],
    code: int,
    affected_model: AffectedModel,
    installed_files: Venv,
) -> None:
    """stdout on /dev/full: no traceback, and scan still says 'affected' (1)."""
    filled = [argument.format(model=affected_model.path) for argument in arguments]
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [installed_files.cli, *filled],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
    assert completed.returncode == code
    assert completed.stderr == (
        "keras-rescaling-patch: could not write the output: No space left on device\n"
    )


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "abc"])
def test_limits_take_positive_finite_numbers_only(
    value: str, capsys: pytest.CaptureFixture[str], affected_model: AffectedModel
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["scan", str(affected_model.path), "--max-config-mib", value])
    assert stop.value.code == 2
    assert f"{value!r} is not a positive number" in capsys.readouterr().err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_wait_is_said_on_a_terminal_and_then_taken_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from keras_rescaling_patch.cli import output

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with output.waiting_for("importing Keras", after=0.01):
        time.sleep(0.2)
    assert terminal.getvalue() == ("keras-rescaling-patch: importing Keras...\r\x1b[K")
    quick = Terminal()
    monkeypatch.setattr(sys, "stderr", quick)
    with output.waiting_for("importing Keras", after=5):
        pass
    assert quick.getvalue() == ""
    piped = io.StringIO()  # not a terminal: never a word
    monkeypatch.setattr(sys, "stderr", piped)
    with output.waiting_for("importing Keras", after=0):
        time.sleep(0.1)
    assert piped.getvalue() == ""


def test_every_command_has_a_description_and_run_shows_its_separator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = ["status", "check", "run", "install-startup-hook",
                "uninstall-startup-hook", "scan", "repair", "vendor"]  # fmt: skip
    for command in commands:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        _, _, rest = text.partition("\n\n")
        assert rest.split("\n\n")[0].strip(), f"{command} has no description"
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert capsys.readouterr().out.startswith(
        "usage: keras-rescaling-patch run [-h] -- COMMAND [ARGS...]\n"
    )
