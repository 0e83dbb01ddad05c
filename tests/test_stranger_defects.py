"""Defects a new user found in the file tools, each on the installed wheel.

A glob that reported problems from folders it could never match, legal
output names refused because their hidden temporary twin was too long, JSON
that wrote a file name that is not UTF-8 as lone surrogates, a header that
counted fewer arrays than it listed, a dangling link named two ways, and
two renderings of one finding that disagreed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support.synthetic import numpy_marker, rescaling_config
from tests.conftest import AffectedModel
from tests.subprocesses import Venv, environment

pytestmark = pytest.mark.slow  # fresh interpreters of the installed wheel


def run(
    venv: Venv, *arguments: str | os.PathLike[str], cwd: Path
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [venv.cli, *map(os.fsencode, arguments)],
        cwd=cwd, env=environment(), capture_output=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def models(affected_model: AffectedModel, tmp_path: Path) -> Path:
    """``models/prod/a.keras`` and a link loop at ``models/team/loop``."""
    (tmp_path / "models" / "prod").mkdir(parents=True)
    (tmp_path / "models" / "team").mkdir()
    shutil.copyfile(affected_model.path, tmp_path / "models" / "prod" / "a.keras")
    (tmp_path / "models" / "team" / "loop").symlink_to("..", target_is_directory=True)
    return tmp_path


def test_a_glob_reports_nothing_from_folders_it_cannot_match(
    installed_files: Venv, models: Path
) -> None:
    nothing = run(installed_files, "scan", "models/*.nothing", cwd=models)
    assert (nothing.returncode, nothing.stdout) == (2, b"")
    assert nothing.stderr == (
        b"scan: models/*.nothing: matches no model file (.keras, .h5, .hdf5)\n"
    )
    narrowed = run(
        installed_files, "scan", "models/", "--include", "prod/*", cwd=models
    )
    assert narrowed.returncode == 1, narrowed.stderr
    assert b"loop" not in narrowed.stdout + narrowed.stderr
    assert narrowed.stdout.startswith(b"models/prod/a.keras: 2 serialized array(s)")
    # Where the loop could hold a match, it is still named, with the answer.
    deep = run(installed_files, "scan", "models/**/*.nothing", cwd=models)
    assert deep.returncode == 2
    assert deep.stderr.splitlines() == [
        b"scan: models/team/loop: is a symbolic link loop; not followed",
        b"scan: models/**/*.nothing: matches no model file (.keras, .h5, .hdf5)",
    ]


def test_legal_output_names_are_taken_however_long(
    installed_files: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    """A 255-byte name is legal; its hidden temporary twin must be too."""
    shutil.copyfile(affected_model.path, tmp_path / "good.keras")
    longest = "c" * 249 + ".keras"
    completed = run(
        installed_files, "repair", "good.keras", "-o", longest, cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / longest).stat().st_size > 0
    in_place = "d" * 239 + ".keras"  # 245 bytes, and its backup 249
    shutil.copyfile(affected_model.path, tmp_path / in_place)
    completed = run(installed_files, "repair", in_place, "--in-place", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["good.keras", longest, in_place, in_place + ".bak"]
    )


def test_json_outputs_are_utf8_and_give_back_a_name_that_is_not(
    installed_files: Venv, affected_model: AffectedModel, tmp_path: Path
) -> None:
    raw = b"bad\xff\xfename.keras"
    (tmp_path / "models").mkdir()
    shutil.copyfile(affected_model.path, os.fsdecode(b"%s/models/%s" % (
        os.fsencode(tmp_path), raw)))  # fmt: skip
    shutil.copyfile(affected_model.path, tmp_path / "models" / "fine.keras")
    lines = run(installed_files, "scan", "models", "--format", "jsonl", cwd=tmp_path)
    assert lines.returncode == 1, lines.stderr
    text = lines.stdout.decode("utf-8")  # strict: valid UTF-8
    assert "\\udc" not in text
    jq = subprocess.run(
        ["jq", "-r", ".file_base64 // (.file | @base64)"],
        input=lines.stdout, capture_output=True, check=True,
    )  # fmt: skip
    names = [base64.b64decode(line) for line in jq.stdout.splitlines()]
    assert names == [b"models/" + raw, b"models/fine.keras"]
    for extra in (["--json"], ["--format", "sarif"]):
        document = run(installed_files, "scan", "models", *extra, cwd=tmp_path)
        assert "\\udc" not in document.stdout.decode("utf-8")
        json.loads(document.stdout)
    (tmp_path / "done.jsonl").write_bytes(lines.stdout)
    resumed = run(
        installed_files, "scan", "models", "--resume", "done.jsonl", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    summary = json.loads(resumed.stdout)["summary"]
    assert (summary["files"], summary["skipped"]) == (0, 2)
    repaired = run(
        installed_files, "repair", os.fsdecode(b"models/" + raw), "-o",
        os.fsdecode(b"out\xff.keras"), cwd=tmp_path,
    )  # fmt: skip
    assert repaired.returncode == 0, repaired.stderr


def _suspect_and_affected() -> dict[str, Any]:
    config = rescaling_config(numpy_marker([0.5, 2.0]))
    custom = {
        "module": "my_package.layers",
        "class_name": "Scale",
        "registered_name": "my_package>Scale",
        "config": {"name": "custom", "trainable": True, "factor": numpy_marker([2.0])},
    }
    config["config"]["layers"].append(custom)
    config["config"]["layers"][0]["config"]["offset"] = numpy_marker([0.0, 1.0])
    return config


def test_the_header_counts_every_array_it_lists(
    installed_files: Venv, tmp_path: Path
) -> None:
    (tmp_path / "m.json").write_text(json.dumps(_suspect_and_affected()))
    completed = run(installed_files, "scan", "m.json", cwd=tmp_path)
    assert completed.returncode == 1
    head, *listed = completed.stdout.decode().splitlines()
    assert head == (
        "m.json: 2 serialized array(s) stock Keras cannot restore (on "
        "3.0.0-3.4.1), and 1 in classes this package does not know"
    )
    assert len(listed) == 3


def test_a_dangling_link_is_named_alike_by_scan_and_repair(
    installed_files: Venv, tmp_path: Path
) -> None:
    (tmp_path / "gone.keras").symlink_to("nowhere.keras")
    scanned = run(installed_files, "scan", "gone.keras", cwd=tmp_path)
    assert scanned.stderr == b"scan: gone.keras: is a broken symbolic link\n"
    for how in (["-o", "out.keras"], ["--in-place"]):
        repaired = run(installed_files, "repair", "gone.keras", *how, cwd=tmp_path)
        assert repaired.returncode == 2
        assert repaired.stderr == (
            b"repair: gone.keras: is a broken symbolic link; nothing written\n"
        )


def test_sarif_says_what_the_text_says_of_a_finding(
    installed_files: Venv, tmp_path: Path
) -> None:
    ragged = rescaling_config(numpy_marker([[1.0], [2.0, 3.0]]))
    (tmp_path / "ragged.json").write_text(json.dumps(ragged))
    unit_norm = rescaling_config(1.0)
    unit_norm["config"]["layers"][0] = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {
            "name": "dense",
            "trainable": True,
            "units": 1,
            "kernel_constraint": {
                "module": "keras.constraints",
                "class_name": "UnitNorm",
                "config": {"axis": numpy_marker([0], "int64")},
            },
        },
    }
    (tmp_path / "unit.json").write_text(json.dumps(unit_norm))
    text = run(installed_files, "scan", "ragged.json", "unit.json", cwd=tmp_path)
    sarif = run(
        installed_files, "scan", "ragged.json", "unit.json", "--format", "sarif",
        cwd=tmp_path,
    )  # fmt: skip
    messages = [
        result["message"]["text"]
        for result in json.loads(sarif.stdout)["runs"][0]["results"]
    ]
    assert b"(ragged lists, not an array)" in text.stdout
    assert "ragged lists, not an array" in messages[0]
    assert "shape scalar" not in messages[0]
    assert messages[1].startswith(
        "In 'model/dense', kernel_constraint.axis gives UnitNorm a serialized "
        "array (__numpy__, int64, shape 1): KRP003 UnitNorm: no Keras release"
    )
    for message in messages:  # the verdict, word for word as the text says it
        verdict = message.split("): ", 1)[1].rstrip(".")
        assert verdict.encode() in text.stdout
