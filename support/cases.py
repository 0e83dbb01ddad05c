"""Models whose ``Rescaling`` holds an array, with inputs to run them on.

Values come from a seeded NumPy generator, so any process (this one, or a
Keras 3.5.0 reference process) builds the very same model and input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np


@dataclass(frozen=True)
class Case:
    """A model factory and its input, named for the array it carries."""

    name: str
    build: Callable[[], tuple[keras.Model, np.ndarray]]
    channels_first: bool = False


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _vector_model(
    scale: Any, offset: Any, width: int, seed: int
) -> tuple[keras.Model, np.ndarray]:
    inputs = keras.Input(shape=(width,))
    outputs = keras.layers.Rescaling(scale=scale, offset=offset)(inputs)
    batch = _rng(seed).normal(size=(6, width)).astype("float32")
    return keras.Model(inputs, outputs), batch


def vector_float64() -> tuple[keras.Model, np.ndarray]:
    rng = _rng(1)
    return _vector_model(rng.random(5), rng.normal(size=5), 5, 11)


def vector_dtype(dtype: str) -> Callable[[], tuple[keras.Model, np.ndarray]]:
    def build() -> tuple[keras.Model, np.ndarray]:
        rng = _rng(2)
        if dtype.startswith("int"):
            scale = rng.integers(1, 9, size=4).astype(dtype)
            offset = rng.integers(-3, 3, size=4).astype(dtype)
        else:
            scale = rng.random(4).astype(dtype)
            offset = rng.normal(size=4).astype(dtype)
        return _vector_model(scale, offset, 4, 12)

    return build


def backend_tensor() -> tuple[keras.Model, np.ndarray]:
    rng = _rng(3)
    scale = keras.ops.convert_to_tensor(rng.random(3).astype("float32"))
    offset = keras.ops.convert_to_tensor(rng.normal(size=3).astype("float32"))
    return _vector_model(scale, offset, 3, 13)


def image_per_channel() -> tuple[keras.Model, np.ndarray]:
    """Per-channel normalisation of channels_last images (mean/std style)."""
    mean = np.array([123.675, 116.28, 103.53])
    std = np.array([58.395, 57.12, 57.375])
    inputs = keras.Input(shape=(8, 8, 3))
    outputs = keras.layers.Rescaling(scale=1 / std, offset=-mean / std)(inputs)
    batch = _rng(14).integers(0, 256, size=(2, 8, 8, 3)).astype("float32")
    return keras.Model(inputs, outputs), batch


def image_channels_first() -> tuple[keras.Model, np.ndarray]:
    """Per-channel scale on channels_first images (Keras reshapes it)."""
    inputs = keras.Input(shape=(3, 8, 8))
    scale = np.array([1 / 255, 2 / 255, 4 / 255])
    outputs = keras.layers.Rescaling(scale=scale, offset=0.25)(inputs)
    batch = _rng(15).integers(0, 256, size=(2, 3, 8, 8)).astype("float32")
    return keras.Model(inputs, outputs), batch


def nested_submodel() -> tuple[keras.Model, np.ndarray]:
    """The layer inside a Sequential inside a Functional model."""
    rng = _rng(4)
    inner = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            keras.layers.Rescaling(scale=rng.random(4), offset=rng.normal(size=4)),
        ],
        name="inner",
    )
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Add()([inner(inputs), inputs])
    batch = rng.normal(size=(5, 4)).astype("float32")
    return keras.Model(inputs, outputs), batch


def with_dense() -> tuple[keras.Model, np.ndarray]:
    """A Dense layer behind the Rescaling, with weights saved in the file."""
    rng = _rng(5)
    inputs = keras.Input(shape=(6,))
    rescaled = keras.layers.Rescaling(scale=rng.random(6), offset=rng.normal(size=6))(
        inputs
    )
    dense = keras.layers.Dense(3)
    model = keras.Model(inputs, dense(rescaled))
    dense.set_weights(
        [
            rng.normal(size=(6, 3)).astype("float32"),
            rng.normal(size=3).astype("float32"),
        ]
    )
    return model, rng.normal(size=(4, 6)).astype("float32")


def under_policy(policy: str) -> Callable[[], tuple[keras.Model, np.ndarray]]:
    """A layer computing in another dtype; float64 arrays that float32 holds."""

    def build() -> tuple[keras.Model, np.ndarray]:
        rng = _rng(6)
        scale = rng.random(4).astype("float32").astype("float64")
        offset = rng.normal(size=4).astype("float32").astype("float64")
        inputs = keras.Input(shape=(4,))
        layer = keras.layers.Rescaling(scale=scale, offset=offset, dtype=policy)
        batch = rng.normal(size=(3, 4)).astype("float32")
        return keras.Model(inputs, layer(inputs)), batch

    return build


CASES = [
    Case("vector_float64", vector_float64),
    Case("vector_float16", vector_dtype("float16")),
    Case("vector_float32", vector_dtype("float32")),
    Case("vector_float64_explicit", vector_dtype("float64")),
    Case("vector_int32", vector_dtype("int32")),
    Case("vector_int64", vector_dtype("int64")),
    Case("backend_tensor", backend_tensor),
    Case("image_channels_last", image_per_channel),
    Case("image_channels_first", image_channels_first, channels_first=True),
    Case("nested_submodel", nested_submodel),
    Case("with_dense", with_dense),
    Case("policy_mixed_float16", under_policy("mixed_float16")),
    Case("policy_mixed_bfloat16", under_policy("mixed_bfloat16")),
    Case("policy_float64", under_policy("float64")),
]


def run(model: keras.Model, batch: np.ndarray) -> np.ndarray:
    """The model's output for ``batch`` (inference mode), as NumPy."""
    return to_numpy(model(batch, training=False))


def to_numpy(value: Any) -> np.ndarray:
    """``keras.ops.convert_to_numpy``; bfloat16 comes back as its bit patterns.

    Keras 3.0.0-3.0.4 cannot hand a torch bfloat16 tensor to NumPy, which
    has no bfloat16 of its own. Through float32, which holds every bfloat16
    exactly, its top 16 bits are the bfloat16 bits: a uint16 array that
    compares exactly, and differs in dtype from any other float output.
    """
    if keras.backend.standardize_dtype(value.dtype) != "bfloat16":
        return keras.ops.convert_to_numpy(value)
    wide = keras.ops.convert_to_numpy(keras.ops.cast(value, "float32"))
    return (wide.view(np.uint32) >> 16).astype(np.uint16)


def rescaling_layers(model: keras.Layer) -> list[keras.layers.Rescaling]:
    """Every Rescaling in ``model``, depth first, nested models included."""
    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.Rescaling):
            found.append(layer)
        found.extend(rescaling_layers(layer))
    return found


def _plain_value_case(
    scale: Any, offset: Any
) -> Callable[[], tuple[keras.Model, np.ndarray]]:
    def build() -> tuple[keras.Model, np.ndarray]:
        return _vector_model(scale, offset, 3, 16)

    return build


_PLAIN_NUMBERS = [
    Case("python_float", _plain_value_case(0.5, -1.25)),
    Case("python_int", _plain_value_case(3, 1)),
    Case("python_list", _plain_value_case([0.5, 0.25, 2.0], [1.0, -1.0, 0.0])),
]
# NumPy's scalars and 0-d arrays serialize as plain numbers, except on the
# NumPy backend, where they count as backend tensors and are written as
# ``__tensor__`` markers: there they are affected like any array.
_NUMPY_SCALARS = [
    Case("zero_d_array", _plain_value_case(np.array(0.125), np.array(-2.0))),
    Case("numpy_scalar", _plain_value_case(np.float32(0.75), np.float64(0.5))),
]

if keras.backend.backend() == "numpy":
    CASES += _NUMPY_SCALARS
    UNAFFECTED_CASES = _PLAIN_NUMBERS
else:
    # Values that stock Keras 3.0-3.4 always handled: the shim must not
    # change anything about them.
    UNAFFECTED_CASES = _PLAIN_NUMBERS + _NUMPY_SCALARS
