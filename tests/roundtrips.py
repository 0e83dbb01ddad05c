"""Every way a model or layer config leaves and re-enters Keras.

Each function takes a model and returns a new one rebuilt through one
serialization path. These are the paths that fail on stock Keras 3.0-3.4
when a ``Rescaling`` holds an array.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import keras

Roundtrip = Callable[[keras.Model, Path], keras.Model]


def keras_file(model: keras.Model, folder: Path) -> keras.Model:
    path = folder / "model.keras"
    model.save(path)
    return keras.models.load_model(path)


def _with_weights_of(model: keras.Model, rebuilt: keras.Model) -> keras.Model:
    """Config-only paths carry no weights; copy them, as a user would."""
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def to_json(model: keras.Model, folder: Path) -> keras.Model:
    return _with_weights_of(model, keras.models.model_from_json(model.to_json()))


def model_config(model: keras.Model, folder: Path) -> keras.Model:
    return _with_weights_of(model, type(model).from_config(model.get_config()))


def layers_serialize(model: keras.Model, folder: Path) -> keras.Model:
    rebuilt = keras.layers.deserialize(keras.layers.serialize(model))
    return _with_weights_of(model, rebuilt)


def saving_serialize_through_json(model: keras.Model, folder: Path) -> keras.Model:
    text = json.dumps(keras.saving.serialize_keras_object(model))
    rebuilt = keras.saving.deserialize_keras_object(json.loads(text))
    return _with_weights_of(model, rebuilt)


def clone(model: keras.Model, folder: Path) -> keras.Model:
    return _with_weights_of(model, keras.models.clone_model(model))


ROUNDTRIPS: dict[str, Roundtrip] = {
    "keras_file": keras_file,
    "to_json": to_json,
    "model_config": model_config,
    "layers_serialize": layers_serialize,
    "saving_serialize_json": saving_serialize_through_json,
    "clone_model": clone,
}
