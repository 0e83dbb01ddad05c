"""What a stranger found in the verdicts for every class, each pinned down.

The command line through the installed wheel (a typo in ``--target-keras``,
the rules chosen, refusal advice, malformed markers); the Python API in
process (its argument checks and ``Finding.fails_on``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from keras_rescaling_patch.files import api
from support.synthetic import numpy_marker, rescaling_config
from tests.subprocesses import Venv, environment


def _unit_norm_config(axis: object) -> dict[str, Any]:
    """A Functional config of one Dense whose UnitNorm constraint holds
    ``axis`` (a marker: no Keras release restores it)."""
    constraint = {
        "module": "keras.constraints",
        "class_name": "UnitNorm",
        "config": {"axis": axis},
    }
    dense = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": "dense", "trainable": True, "units": 2,
                   "kernel_constraint": constraint},
    }  # fmt: skip
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {"name": "model", "trainable": True, "layers": [dense]},
    }


def _write(folder: Path, name: str, config: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(config))
    return path


def run(venv: Venv, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv.cli, *arguments], cwd=cwd, env=environment(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("target", ["3.4.2", "2.15", "3.04", "3.1.2-3.1.9", "0.1"])
def test_a_target_that_takes_no_keras_3_release_is_refused(
    installed_files: Venv, tmp_path: Path, target: str
) -> None:
    """A typo must not turn a gate off: it judged every file clean, exit 0."""
    _write(tmp_path, "m.json", _unit_norm_config(numpy_marker([0], "int64")))
    completed = run(
        installed_files, "scan", "m.json", "--target-keras", target, cwd=tmp_path
    )
    assert completed.returncode == 2, completed.stdout
    assert "--target-keras" in completed.stderr and target in completed.stderr
    assert "Traceback" not in completed.stderr and completed.stdout == ""


@pytest.mark.slow
def test_findings_the_rules_chosen_leave_out_are_counted(
    installed_files: Venv, tmp_path: Path
) -> None:
    _write(tmp_path, "m.json", _unit_norm_config(numpy_marker([0], "int64")))
    text = run(installed_files, "scan", "m.json", "--ignore", "KRP003", cwd=tmp_path)
    assert (text.returncode, text.stdout) == (
        0,
        "m.json: nothing stock Keras 3.x cannot load or restore "
        "(1 more left out by the rules chosen)\n",
    )
    document = run(
        installed_files, "scan", "m.json", "--select", "KRP001", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    [report] = json.loads(document.stdout)["files"]
    assert report["left_out"] == 1 and report["affected"] == []
    empty = run(installed_files, "scan", "m.json", "--select", "", cwd=tmp_path)
    assert empty.returncode == 2 and "no rule code given" in empty.stderr


@pytest.mark.slow
def test_a_refusal_advises_what_loads_that_class(
    installed_files: Venv, tmp_path: Path
) -> None:
    """The shim and Keras 3.5 are advice for Rescaling only."""
    _write(tmp_path, "unit.json", _unit_norm_config(numpy_marker([0.1], "float64")))
    scale_config = rescaling_config(numpy_marker([0.1], "float64"))
    scale_config["config"]["layers"][0]["config"]["dtype"] = "int32"  # no float
    _write(tmp_path, "scale.json", scale_config)
    unit = run(installed_files, "repair", "unit.json", "-o", "u.json", cwd=tmp_path)
    assert unit.returncode == 1
    assert "shim" not in unit.stderr and "3.5" not in unit.stderr
    assert "no Keras release restores it" in unit.stderr
    scale = run(installed_files, "repair", "scale.json", "-o", "s.json", cwd=tmp_path)
    assert scale.returncode == 1
    assert "with the shim (import keras_rescaling_patch) or Keras >= 3.5.0" in (
        scale.stderr
    )
    assert not (tmp_path / "u.json").exists() and not (tmp_path / "s.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("marker", "words"),
    [
        ({"class_name": "__numpy__", "config": [1, 2]}, "its config is a list"),
        (numpy_marker([[1.0, 2.0], [3.0]]), "ragged lists"),
        (
            {"class_name": "__numpy__", "config": {"value": [1.0], "dtype": ["f8"]}},
            "its dtype is a list, not a name",
        ),
    ],
)
def test_a_malformed_marker_is_found_and_refused_as_bad_input(
    installed_files: Venv, tmp_path: Path, marker: object, words: str
) -> None:
    """A marker whose config is no object was invisible to both tools (and
    repair's output then scanned clean); a ragged one showed as "2x2"."""
    original = _write(tmp_path, "bad.json", rescaling_config(marker)).read_bytes()
    scanned = run(installed_files, "scan", "bad.json", cwd=tmp_path)
    assert scanned.returncode == 1 and f"({words}" in scanned.stdout
    assert "shape" not in scanned.stdout
    repaired = run(installed_files, "repair", "bad.json", "-o", "o.json", cwd=tmp_path)
    assert repaired.returncode == 2 and len(repaired.stderr.splitlines()) == 1
    assert not (tmp_path / "o.json").exists()
    assert (tmp_path / "bad.json").read_bytes() == original


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"a": 1}', "is not a model config"),
        ('{"class_name": "Functional", "config": ' + "9" * 5000 + "}", "digits"),
    ],
)
def test_what_is_no_model_config_is_named_in_one_line(
    installed_files: Venv, tmp_path: Path, text: str, words: str
) -> None:
    (tmp_path / "x.json").write_text(text)
    scanned = run(installed_files, "scan", "x.json", cwd=tmp_path)
    assert scanned.returncode == 2 and words in scanned.stderr
    assert len(scanned.stderr.splitlines()) == 1
    assert "sys.set_int_max_str_digits" not in scanned.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        {"target_keras": ["3.4.2"]},
        {"target_keras": [3.4]},
        {"target_keras": None},
        {"select": None},
        {"ignore": [3]},
    ],
)
def test_api_arguments_are_checked_in_its_own_words(
    tmp_path: Path, arguments: dict[str, Any]
) -> None:
    path = _write(tmp_path, "m.json", _unit_norm_config(numpy_marker([0], "int64")))
    with pytest.raises(ValueError, match=next(iter(arguments))):
        api.scan(path, **arguments)


def test_a_finding_says_which_release_fails_given_its_version_as_text(
    tmp_path: Path,
) -> None:
    scale = rescaling_config(numpy_marker([0.5], "float64"))
    [finding] = api.scan(_write(tmp_path, "s.json", scale)).affected
    assert finding.fails_on("3.4.1") and not finding.fails_on("3.5.0")
    with pytest.raises(ValueError):
        finding.fails_on("three")
    with pytest.raises(ValueError):
        finding.fails_on(os.sep)


def test_a_restored_array_reports_when_it_was_fixed_once(tmp_path: Path) -> None:
    """JSON of an array every release restores had both ``since`` and
    ``fixed_in``."""
    constant = {
        "module": "keras.initializers", "class_name": "Constant",
        "config": {"value": numpy_marker([[1.0], [2.0]])},
    }  # fmt: skip
    config = _unit_norm_config(None)
    config["config"]["layers"][0]["config"]["kernel_initializer"] = constant
    [other] = api.scan(_write(tmp_path, "c.json", config)).as_dict()["other"]
    assert "since" not in other and other["fixed_in"] is None


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda p: api.scan(5), "location"),
        (lambda p: api.scan(os.fsencode(p)), "location"),
        (lambda p: list(api.scan_many(str(p))), "inputs"),
        (lambda p: api.scan(p, max_config_mib=True), "max_config_mib"),
        (lambda p: api.repair(p, p.with_name("o.json"), force="yes"), "force"),
        (lambda p: api.repair(p, p.with_name("o.json"), backup=False), "backup"),
        (lambda p: api.repair(p, p.with_name("o.json"), progress=5), "progress"),
    ],
)
def test_api_file_arguments_are_checked_before_any_work(
    tmp_path: Path, call: Any, words: str
) -> None:
    path = _write(tmp_path, "m.json", _unit_norm_config(numpy_marker([0], "int64")))
    with pytest.raises(ValueError, match=words):
        call(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]
