"""A repaired file runs on stock Keras, shim removed, exactly like the model.

Each model is saved by the Keras under test with the shim removed (as a
user of stock Keras would save it), repaired by ``repair``, and loaded by
the same stock Keras. Its outputs must equal the in-memory model's bit
for bit. On an affected release the unrepaired file must fail there, so
these tests could not pass without the repair. The matrix runs this file
in every release x backend cell, 3.5.0 and the latest release included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_rescaling_patch
from keras_rescaling_patch.files.jobs import repair_local as repair
from keras_rescaling_patch.files.options import Judging, RepairOptions, Targets
from support.cases import CASES, UNAFFECTED_CASES, Case, run

# For users of 3.4.1 and later: by default repair serves the release that
# saved the file and later ones, and a file saved by a fixed release (3.5.0
# and the latest, in the matrix) then needs nothing; for an affected release
# this takes in the same releases as the default, and more.
FOR_AFFECTED_USERS = RepairOptions(judging=Judging(Targets.checked("3.4.1+")))


@pytest.fixture
def stock_keras(shim_restored: None) -> Iterator[None]:
    keras_rescaling_patch.remove()
    yield


def assert_bit_identical(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.tobytes() == expected.tobytes()


def save(model: keras.Model, path: Path) -> Path:
    if path.suffix == ".json":
        path.write_text(model.to_json())
    else:
        model.save(path)
    return path


def load(path: Path, weights_from: keras.Model) -> keras.Model:
    if path.suffix != ".json":
        return keras.models.load_model(path)
    model = keras.models.model_from_json(path.read_text())
    model.set_weights(weights_from.get_weights())
    return model


def build(case: Case, request: pytest.FixtureRequest) -> tuple[keras.Model, np.ndarray]:
    if case.channels_first:
        request.getfixturevalue("channels_first")
    return case.build()


@pytest.mark.parametrize("kind", [".keras", ".json"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_repaired_file_runs_bit_identically_on_stock_keras(
    case: Case,
    kind: str,
    tmp_path: Path,
    stock_keras: None,
    request: pytest.FixtureRequest,
) -> None:
    model, batch = build(case, request)
    expected = run(model, batch)
    original = save(model, tmp_path / f"model{kind}")
    repaired = tmp_path / f"repaired{kind}"

    outcome = repair.repair(original, repaired, FOR_AFFECTED_USERS)

    assert outcome.repairs and outcome.written == repaired
    assert_bit_identical(run(load(repaired, model), batch), expected)
    if keras_rescaling_patch.status().affected:
        with pytest.raises(Exception):  # noqa: B017 - any failure will do
            run(load(original, model), batch)


@pytest.mark.parametrize(
    "case", UNAFFECTED_CASES, ids=[c.name for c in UNAFFECTED_CASES]
)
def test_clean_file_is_copied_unchanged_and_still_runs(
    case: Case, tmp_path: Path, stock_keras: None
) -> None:
    model, batch = case.build()
    original = save(model, tmp_path / "model.keras")
    copy = tmp_path / "copy.keras"

    outcome = repair.repair(original, copy)

    assert outcome.repairs == () and copy.read_bytes() == original.read_bytes()
    assert_bit_identical(run(load(copy, model), batch), run(model, batch))


def test_repaired_config_holds_the_computed_values(
    tmp_path: Path, stock_keras: None
) -> None:
    """mixed_float16: the list holds float16 values, as the layer computes."""
    scale = np.array([1 / 3, 0.1, 1e-5])
    inputs = keras.Input(shape=(3,))
    layer = keras.layers.Rescaling(scale, dtype="mixed_float16", name="rescale")
    model = keras.Model(inputs, layer(inputs))
    original = save(model, tmp_path / "model.json")
    repaired = tmp_path / "repaired.json"

    repair.repair(original, repaired)

    [entry] = [
        layer
        for layer in json.loads(repaired.read_text())["config"]["layers"]
        if layer["class_name"] == "Rescaling"
    ]
    assert entry["config"]["scale"] == scale.astype("float16").tolist()
