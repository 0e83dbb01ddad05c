"""Most affected users write tf.keras: on TF 2.16 it is the same Keras 3."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="tf.keras needs TensorFlow")


@pytest.mark.fix
def test_tf_keras_user_code_reloads(tmp_path: Path) -> None:
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(2, 2, 3)),
            tf.keras.layers.Rescaling(scale=1 / std, offset=-mean / std),
        ]
    )
    images = np.random.default_rng(3).random((2, 2, 2, 3)).astype("float32")
    model.save(tmp_path / "model.keras")
    reloaded = tf.keras.models.load_model(tmp_path / "model.keras")
    assert np.array_equal(
        reloaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )
