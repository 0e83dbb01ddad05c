"""`keras-rescaling-patch scan`: find affected files without importing Keras."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_rescaling_patch.cli import main
from tests.subprocesses import cli_in_bare_interpreter

ROOT = Path(__file__).resolve().parent.parent


def save(model: keras.Model, path: Path) -> Path:
    model.save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scan")
    inputs = keras.Input(shape=(3,))
    affected = keras.Model(
        inputs,
        keras.layers.Rescaling(np.array([1.0, 2.0, 3.0]), 0.5)(inputs),
        name="outer",
    )
    inner = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            keras.layers.Rescaling(1.0, np.zeros((1, 3), "float32")),
        ],
        name="inner",
    )
    nested = keras.Model(inputs, inner(inputs), name="outer")
    clean = keras.Model(inputs, keras.layers.Rescaling([1.0, 2.0, 3.0], 0.5)(inputs))
    constant = keras.initializers.Constant(np.array([[1.0, 2.0, 3.0]]).T)
    dense = keras.layers.Dense(1, kernel_initializer=constant, name="weighted")
    other = keras.Model(inputs, dense(inputs), name="other")
    json_file = folder / "model.json"
    json_file.write_text(affected.to_json())
    return {
        "affected": save(affected, folder / "affected.keras"),
        "nested": save(nested, folder / "nested.keras"),
        "clean": save(clean, folder / "clean.keras"),
        "other": save(other, folder / "other.keras"),
        "json": json_file,
    }


def scan(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["scan", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_affected_file_lists_each_argument(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = scan(capsys, files["affected"])
    assert (code, err) == (1, "")
    assert "1 array-valued Rescaling argument(s)" in out
    assert "outer/rescaling" in out and "scale  __numpy__ float64 shape 3" in out


def test_path_goes_through_nested_models(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = scan(capsys, "--json", files["nested"])
    report = json.loads(out)
    assert code == report["exit_code"] == 1
    [finding] = report["files"][0]["affected"]
    assert finding["path"].startswith("outer/inner/")
    assert finding["key"] == "config.offset"
    assert (finding["marker"], finding["dtype"], finding["shape"]) == (
        "__numpy__",
        "float32",
        [1, 3],
    )


def test_clean_file_and_model_json(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = scan(capsys, files["clean"])
    assert code == 0 and "no array-valued Rescaling arguments" in out
    code, out, _ = scan(capsys, files["json"])
    assert code == 1 and "outer/rescaling" in out


def test_other_array_valued_config_is_information_only(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = scan(capsys, "--json", files["other"])
    report = json.loads(out)["files"][0]
    assert code == 0 and report["affected"] == []
    [other] = report["other"]
    assert other["path"] == "other/weighted" and "kernel_initializer" in other["key"]


def test_several_files_worst_exit_code_wins(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scan(capsys, files["clean"], files["affected"])[0] == 1
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    code, out, err = scan(capsys, files["affected"], broken)
    assert code == 2 and "affected.keras" in out and err.startswith("scan: ")


def test_scan_never_imports_keras(files: dict[str, Path]) -> None:
    assert cli_in_bare_interpreter(["scan", str(files["affected"])]) == (1, [])
