"""The command line: status and check."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import pytest

from keras_rescaling_patch import _selfcheck
from keras_rescaling_patch.cli import main


def test_status_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"Keras:      {keras.__version__}" in out
    assert "backend:    tensorflow" in out
    assert "TensorFlow: 2.16.2" in out
    assert "affected:   yes" in out and "active:     yes" in out


def test_status_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["keras_version"] == keras.__version__
    assert report["keras_backend"] == "tensorflow"
    assert report["affected"] is True and report["active"] is True
    assert "#20072" in report["reason"]


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["frobnicate"])
    assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_check_reproduces_the_bug_and_passes_with_the_shim(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "this takes about a minute" in out.splitlines()[0]
    assert "  [1/2] saving a small model" in out and "  [2/2] reloading it" in out
    assert "reloaded without the shim (tf.keras): fails: " in out
    assert (
        "reloaded with the shim (tf.keras): loads and predicts bit-identically" in out
    )
    assert out.strip().splitlines()[-1].startswith("OK: the bug reproduces here")


def test_check_fails_when_the_shimmed_reload_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = _selfcheck.Reload(
        with_shim=True, loaded=False, identical=False, error="boom"
    )
    fine = _selfcheck.Reload(with_shim=False, loaded=True, identical=True, error=None)
    monkeypatch.setattr(
        _selfcheck, "run_check", lambda step: _selfcheck.CheckResult(fine, broken)
    )
    assert main(["check"]) == 1
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("FAIL")


def test_check_children_never_share_a_model_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keras 3.4 unpacks weights beside the .keras file while loading: two
    concurrent loads of one file in one folder can delete each other's copy
    (seen as a flaky FileNotFoundError for model.weights.h5)."""
    seen: list[str] = []
    real_popen = _selfcheck.subprocess.Popen

    def recording_popen(command: list[str], **kwargs: object) -> object:
        seen.append(command[3])
        return real_popen(command, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(_selfcheck.subprocess, "Popen", recording_popen)
    assert _selfcheck.run_check().ok
    folders = {str(Path(path).parent) for path in seen}
    assert len(seen) == 2 and len(folders) == 2
