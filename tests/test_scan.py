"""`keras-rescaling-patch scan`: find affected files without importing Keras."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_rescaling_patch
from keras_rescaling_patch.cli.main import main
from tests.conftest import AffectedModel, heavy_h5
from tests.subprocesses import Venv, cli_in_bare_interpreter


def save(model: keras.Model, path: Path) -> Path:
    model.save(path)
    return path


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, affected_model: AffectedModel
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scan")
    inputs = keras.Input(shape=(3,))
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
    return {
        "affected": affected_model.path,
        "nested": save(nested, folder / "nested.keras"),
        "clean": save(clean, folder / "clean.keras"),
        "other": save(other, folder / "other.keras"),
        "json": affected_model.json_path,
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
    assert "2 serialized array(s) stock Keras cannot restore (on 3.4.1)" in out
    for argument in ("scale", "offset"):
        assert (
            f"  affected/rescale  {argument}  __numpy__ float64 shape 4  KRP001 "
            "Rescaling: stock Keras 3.4.1 cannot restore it; fixed in 3.5.0\n"
        ) in out


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
    assert code == 0 and "nothing stock Keras 3.4.1+ cannot load or restore" in out
    code, out, _ = scan(capsys, files["json"])
    assert code == 1 and "affected/rescale" in out


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


@pytest.mark.slow
def test_scan_never_imports_keras(files: dict[str, Path], installed: Venv) -> None:
    """Where Keras, TensorFlow and NumPy are all installed."""
    arguments = ["scan", str(files["affected"])]
    assert cli_in_bare_interpreter(installed.python, arguments) == (1, [])


def _model_json(layers: list[dict[str, object]]) -> str:
    """A Functional model config holding ``layers``, as to_json writes it."""
    return json.dumps(
        {
            "module": "keras.src.models.functional",
            "class_name": "Functional",
            "config": {"name": "outer", "trainable": True, "layers": layers},
            "registered_name": "Functional",
        }
    )


def _rescaling(**changes: object) -> dict[str, object]:
    marker = {"class_name": "__numpy__", "config": {"value": [2.0], "dtype": "float32"}}
    entry: dict[str, object] = {
        "module": "keras.layers",
        "class_name": "Rescaling",
        "config": {
            "name": "rescale",
            "trainable": True,
            "scale": marker,
            "offset": 0.0,
        },
        "registered_name": None,
    }
    entry.update(changes)
    return entry


def test_a_rescaling_is_known_by_what_keras_deserializes_it_by(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not by incidental keys: an entry without "trainable" loads the same."""
    entry = _rescaling()
    del entry["config"]["trainable"]  # type: ignore[attr-defined]
    path = tmp_path / "model.json"
    path.write_text(_model_json([entry]))
    code, out, _ = scan(capsys, "--json", path)
    [finding] = json.loads(out)["files"][0]["affected"]
    assert code == 1 and finding["path"] == "outer/rescale"


@pytest.mark.parametrize("module", ["keras_hub.layers", "keras_cv", "keras_layers"])
def test_other_packages_named_like_keras_are_not_keras(
    module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not keras.layers.Rescaling, but a layer stock Keras hands the marker to."""
    path = tmp_path / "model.json"
    path.write_text(_model_json([_rescaling(module=module)]))
    code, out, _ = scan(capsys, "--json", path)
    report = json.loads(out)["files"][0]
    assert code == 1 and report["affected"] == [] and report["other"] == []
    [suspect] = report["suspect"]
    assert (suspect["path"], suspect["layer_class"]) == ("outer/rescale", "Rescaling")


@keras.saving.register_keras_serializable(package="krp_scan")
class ShiftedRescaling(keras.layers.Rescaling):
    """A registered subclass: Keras saves it under its own name."""


def test_a_registered_subclass_is_flagged_and_repair_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shim_restored: None
) -> None:
    inputs = keras.Input(shape=(2,))
    layer = ShiftedRescaling(np.array([2.0, 3.0]), name="shifted")
    model = keras.Model(inputs, layer(inputs), name="outer")
    path = save(model, tmp_path / "subclass.keras")
    code, out, _ = scan(capsys, path)
    assert code == 1 and "probably cannot restore them" in out
    assert (
        "  outer/shifted  scale  __numpy__ float64 shape 2  KRP002 "
        "krp_scan>ShiftedRescaling: a class this package does not know"
    ) in out
    keras_rescaling_patch.remove()
    with pytest.raises(Exception, match=r"TrackedDict|__numpy__"):  # the control
        keras.models.load_model(path)(np.ones((1, 2), "float32"))
    code = main(["repair", str(path), "-o", str(tmp_path / "out.keras")])
    err = capsys.readouterr().err
    assert (
        code == 1
        and (
            "outer/shifted scale: krp_scan>ShiftedRescaling, a class this package does "
            "not know, holds a serialized array"
        )
        in err
    )
    assert not (tmp_path / "out.keras").exists()


def test_untrusted_text_is_escaped_in_human_output_and_exact_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ANSI sequence in a layer name must not rewrite the terminal."""
    evil = "x\x1b[1A\x1b[2K\rno serialized array that stock Keras cannot restore"
    entry = _rescaling()
    entry["config"]["name"] = evil  # type: ignore[index]
    path = tmp_path / "odd\nname.json"
    path.write_text(_model_json([entry]))
    code, out, _ = scan(capsys, path)
    assert code == 1
    assert "\x1b" not in out and "\r" not in out and out.count("\n") == 2
    assert "odd\\nname.json" in out and "x\\x1b[1A\\x1b[2K\\rno serialized" in out
    code, out, _ = scan(capsys, "--json", path)
    report = json.loads(out)
    assert report["files"][0]["file"] == str(path)
    assert report["files"][0]["affected"][0]["path"] == f"outer/{evil}"


def test_a_symlink_is_followed_for_reading(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "link.keras"
    link.symlink_to(files["affected"])
    code, out, err = scan(capsys, link)
    assert (code, err) == (
        1,
        "",
    ) and "2 serialized array(s) stock Keras cannot restore (on 3.4.1)" in out


def test_a_legacy_h5_file_is_searched_up_to_its_config_not_its_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shim_restored: None
) -> None:
    keras_rescaling_patch.apply()
    path = heavy_h5(tmp_path / "heavy.h5")
    code, out, _ = scan(capsys, "--format", "json", "--target-keras", "3.4.1", path)
    [report] = json.loads(out)["files"]
    assert (code, report["format"], len(report["affected"])) == (1, "hdf5", 1)
    assert path.stat().st_size > 9 << 20 and report["bytes_read"] < 256 << 10, report


def test_a_legacy_h5_file_is_read_and_judged_by_its_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shim_restored: None
) -> None:
    """Stock Keras 3.0-3.4 write .h5 arrays as lists; Keras 3.5+ (and the shim)
    write the same markers as in .keras files, which stock 3.0-3.4 cannot run."""
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Rescaling(np.array([1.0, 2.0]))(inputs))
    stock, marked = tmp_path / "stock.h5", tmp_path / "marked.h5"
    keras_rescaling_patch.remove()
    model.save(stock)
    keras_rescaling_patch.apply()
    model.save(marked)
    # An .h5 file names no release that saved it: judged for the one that did.
    code, out, err = scan(capsys, stock, "--target-keras", "3.4.1")
    assert (code, err) == (0, "")
    assert out == (
        f"{stock} (legacy HDF5 model): nothing stock Keras 3.4.1 cannot load or "
        "restore\n"
    )
    code, out, _ = scan(capsys, marked, "--target-keras", "3.0-3.4")
    assert (
        code == 1
        and "(legacy HDF5 model): stock Keras 3.0.0-3.4.1 cannot load it (1 class "
        "name(s), argument(s) or structure(s) they do not read; 1 serialized "
        "array(s) they cannot restore)"
        in out
    )
    keras_rescaling_patch.remove()
    with pytest.raises(Exception, match=r"TrackedDict|__numpy__"):  # the control
        keras.models.load_model(marked)(np.ones((1, 3), "float32"))
    code = main(["repair", str(marked), "-o", str(tmp_path / "out.h5")])
    assert code == 2 and "legacy HDF5" in capsys.readouterr().err
