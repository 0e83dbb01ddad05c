"""The command line: status and check."""

from __future__ import annotations

import json

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
    assert "reloaded without the shim: fails: " in out
    assert "reloaded with the shim:    loads and predicts bit-identically" in out
    assert out.strip().splitlines()[-1].startswith("OK: the bug reproduces here")


def test_check_fails_when_the_shimmed_reload_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = _selfcheck.Reload(
        with_shim=True, loaded=False, identical=False, error="boom"
    )
    fine = _selfcheck.Reload(with_shim=False, loaded=True, identical=True, error=None)
    monkeypatch.setattr(
        _selfcheck, "run_check", lambda: _selfcheck.CheckResult(fine, broken)
    )
    assert main(["check"]) == 1
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("FAIL")
