"""The user stories behind the bug, each as it is written in the wild."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import keras_rescaling_patch
from support.cases import UNAFFECTED_CASES, Case


@pytest.mark.fix
def test_issue_20072_scenario(tmp_path: Path) -> None:
    """Sequential, compile, fit, add an array Rescaling, save, load, predict."""
    if keras.backend.backend() == "numpy":
        pytest.skip("the NumPy backend cannot train (fit)")
    rng = np.random.default_rng(20072)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(5)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.random((16, 3)).astype("float32")
    model.fit(x, rng.random((16, 5)).astype("float32"), epochs=1, verbose=0)
    model.add(keras.layers.Rescaling(rng.random(5)))
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "model.keras")

    reloaded = keras.models.load_model(tmp_path / "model.keras")
    reloaded.compile(optimizer="adam", loss="mse")
    actual = reloaded.predict(x, verbose=0)

    assert actual.dtype == expected.dtype
    assert np.array_equal(actual, expected)


@pytest.mark.fix
def test_layer_config_survives_json() -> None:
    layer = keras.layers.Rescaling(np.array([0.5, 2.0]), offset=np.array([1.0, -1.0]))
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = keras.layers.Rescaling.from_config(config)
    batch = np.array([[1.0, 3.0]], dtype="float32")
    assert isinstance(rebuilt.scale, np.ndarray)
    assert np.array_equal(keras.ops.convert_to_numpy(rebuilt(batch)), [[1.5, 5.0]])


@pytest.mark.fix
def test_reloaded_layer_in_tf_data_pipeline(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow", reason="tf.data needs TensorFlow")
    inputs = keras.Input(shape=(4, 4, 3))
    scale, offset = (
        np.array([1 / 255, 1 / 127.5, 1 / 63.75]),
        np.array([0.0, -1.0, -2.0]),
    )
    model = keras.Model(inputs, keras.layers.Rescaling(scale, offset)(inputs))
    model.save(tmp_path / "m.keras")
    layer = keras.models.load_model(tmp_path / "m.keras").layers[-1]

    images = np.random.default_rng(7).integers(0, 256, (6, 4, 4, 3)).astype("float32")
    pipeline = tf.data.Dataset.from_tensor_slices(images).batch(3).map(layer)
    actual = np.concatenate([batch.numpy() for batch in pipeline])
    expected = keras.ops.convert_to_numpy(model.layers[-1](images))
    assert np.array_equal(actual, expected)


@keras.saving.register_keras_serializable(package="krp_tests")
class ClippedRescaling(keras.layers.Rescaling):
    """A user subclass that extends config and calls super() throughout."""

    def __init__(
        self, scale: Any, offset: Any = 0.0, limit: float = 1.0, **kwargs: Any
    ):
        super().__init__(scale, offset, **kwargs)
        self.limit = limit

    def call(self, inputs: Any) -> Any:
        return keras.ops.clip(super().call(inputs), -self.limit, self.limit)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "limit": self.limit}


@keras.saving.register_keras_serializable(package="krp_tests")
class HandWrittenFromConfig(keras.layers.Rescaling):
    """A subclass whose own from_config calls cls(**config) directly."""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> HandWrittenFromConfig:
        return cls(**config)


@keras.saving.register_keras_serializable(package="krp_tests")
class TaggedRescaling(keras.layers.Rescaling):
    """A subclass with its own config key, handled around super().from_config."""

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any):
        self.tag = kwargs.pop("tag", "untagged")
        super().__init__(scale, offset, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "tag": self.tag}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TaggedRescaling:
        config = dict(config)
        tag = config.pop("tag")
        layer = super().from_config(config)
        layer.tag = tag
        return layer


@pytest.mark.fix
@pytest.mark.parametrize(
    "layer_class",
    [
        ClippedRescaling,
        # Keras 3.5.0 itself fails here: restoring in __init__ is the shim's
        # deliberate leniency.
        pytest.param(HandWrittenFromConfig, marks=pytest.mark.beyond_upstream),
        TaggedRescaling,
    ],
)
def test_subclasses_benefit(layer_class: type, tmp_path: Path) -> None:
    inputs = keras.Input(shape=(3,))
    layer = layer_class(np.array([0.5, 1.0, 4.0]), np.array([0.0, 0.1, -0.1]))
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    batch = np.array([[0.2, 0.3, 0.4]], dtype="float32")
    assert type(reloaded.layers[-1]) is layer_class
    assert np.array_equal(
        keras.ops.convert_to_numpy(reloaded(batch)),
        keras.ops.convert_to_numpy(model(batch)),
    )


@pytest.mark.fix
@pytest.mark.beyond_upstream
def test_marker_passed_straight_to_the_constructor() -> None:
    """A hand-written config that reaches __init__ is restored there too."""
    marker = {
        "class_name": "__numpy__",
        "config": {"value": [2.0, 4.0], "dtype": "float32"},
    }
    layer = keras.layers.Rescaling(scale=marker, offset=dict(marker))
    assert isinstance(layer.scale, np.ndarray) and layer.scale.dtype == np.float32
    out = keras.ops.convert_to_numpy(layer(np.array([[1.0, 1.0]], dtype="float32")))
    assert np.array_equal(out, [[4.0, 8.0]])


@pytest.mark.fix
def test_zero_d_tensor_marker_reloads() -> None:
    """What the NumPy backend writes for a scalar scale (found by the matrix).

    There ``np.float32(0.75)`` and 0-d arrays are backend tensors, so even a
    scalar scale is saved as a ``__tensor__`` marker with a bare number.
    """
    scalar = {"class_name": "__tensor__", "config": {"value": 0.75, "dtype": "float32"}}
    layer = keras.layers.Rescaling.from_config(
        {"name": "scalar_marker", "scale": scalar, "offset": dict(scalar)}
    )
    out = keras.ops.convert_to_numpy(layer(np.array([[2.0]], dtype="float32")))
    assert np.array_equal(out, [[2.25]])


@pytest.mark.fix
def test_mixed_precision_layer_reloads(tmp_path: Path) -> None:
    inputs = keras.Input(shape=(3,))
    layer = keras.layers.Rescaling(np.array([0.5, 0.25, 2.0]), dtype="mixed_float16")
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    batch = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    expected = keras.ops.convert_to_numpy(model(batch))
    actual = keras.ops.convert_to_numpy(reloaded(batch))
    assert actual.dtype == expected.dtype == np.float16
    assert np.array_equal(actual, expected)


@pytest.mark.beyond_upstream
def test_other_serialized_objects_are_left_alone() -> None:
    """Only data markers are restored; a lambda config is never executed."""
    lambda_marker = {"class_name": "__lambda__", "config": {"value": "anything"}}
    layer = keras.layers.Rescaling.from_config(
        {"name": "r", "scale": lambda_marker, "offset": 0.0}
    )
    assert dict(layer.scale) == lambda_marker
    assert dict(keras.layers.Rescaling(scale=lambda_marker).scale) == lambda_marker


def _fingerprint(case: Case, tmp_path: Path) -> tuple[Any, ...]:
    model, batch = case.build()
    config_json = json.dumps(keras.saving.serialize_keras_object(model))
    model.save(tmp_path / f"{case.name}.keras")
    reloaded = keras.models.load_model(tmp_path / f"{case.name}.keras")
    layer = reloaded.layers[-1]
    output = keras.ops.convert_to_numpy(reloaded(batch))
    return (
        config_json,
        type(layer.scale),
        type(layer.offset),
        repr(layer.scale),
        output.dtype,
        output.tobytes(),
    )


@pytest.mark.parametrize(
    "case", UNAFFECTED_CASES, ids=[c.name for c in UNAFFECTED_CASES]
)
def test_unaffected_values_are_unchanged_by_the_shim(
    case: Case, tmp_path: Path, shim_restored: None
) -> None:
    keras_rescaling_patch.remove()
    keras.utils.clear_session()
    stock = _fingerprint(case, tmp_path)
    # Forced, so that on a fixed Keras too the shim is shown to change nothing.
    assert keras_rescaling_patch.apply(force=True)
    keras.utils.clear_session()
    assert _fingerprint(case, tmp_path) == stock
