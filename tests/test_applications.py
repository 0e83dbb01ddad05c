"""Real architectures nobody here wrote, saved and reloaded under the shim.

``keras.applications`` models that contain ``Rescaling`` (built with
``weights=None``: no downloads), and the two ways users add an array-valued
``Rescaling`` themselves: per-channel normalisation at the input, and label
de-scaling at the output (the original bug report's use).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.slow  # keras.applications models: seconds each


def efficientnet() -> keras.Model:
    return keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3))


def mobilenet_v3() -> keras.Model:
    return keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3))


def normalised_input() -> keras.Model:
    """Per-channel ImageNet normalisation in front of a small ConvNet."""
    mean = np.array([0.485, 0.456, 0.406]) * 255
    std = np.array([0.229, 0.224, 0.225]) * 255
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.layers.Rescaling(scale=1 / std, offset=-mean / std)(inputs)
    x = keras.layers.Conv2D(4, 3)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def descaled_output() -> keras.Model:
    """A regressor whose targets were standardised: undo it at the output."""
    target_std = np.array([12.5, 0.75, 300.0])
    target_mean = np.array([40.0, -1.5, 1000.0])
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.layers.Flatten()(keras.layers.Rescaling(1 / 255)(inputs))
    x = keras.layers.Dense(3)(x)
    return keras.Model(inputs, keras.layers.Rescaling(target_std, target_mean)(x))


MODELS: dict[str, Callable[[], keras.Model]] = {
    "EfficientNetB0": efficientnet,
    "MobileNetV3Small": mobilenet_v3,
    "normalised_input": normalised_input,
    "descaled_output": descaled_output,
}


# The applications' own Rescaling layers hold floats or lists, which stock
# Keras always handled: they guard against the shim breaking them.
USER_ARRAYS = {"normalised_input", "descaled_output"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.fix if name in USER_ARRAYS else ())
        for name in MODELS
    ],
)
def test_reloads_bit_identically(name: str, tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = MODELS[name]()
    assert any(isinstance(layer, keras.layers.Rescaling) for layer in model.layers)
    images = np.random.default_rng(1).integers(0, 256, (2, 32, 32, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(images, training=False))
    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras")
    actual = keras.ops.convert_to_numpy(reloaded(images, training=False))
    assert actual.dtype == expected.dtype
    assert np.array_equal(actual, expected)
