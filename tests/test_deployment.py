"""Deployment paths after a reload under the shim: SavedModel and TFLite.

A model with an array-valued Rescaling, saved by stock Keras and reloaded
with the shim, is exported with ``model.export()`` (a TF SavedModel); TF
Serving's view of it (``tf.saved_model.load``, its ``serve`` function and
its ``serving_default`` signature) must give the original model's outputs
bit for bit, and TFLite's converter must take the export and run it
within float tolerance.

``tf.lite.TFLiteConverter.from_keras_model`` aborts the whole process on
TensorFlow 2.16 ("LLVM ERROR: Failed to infer result type(s)") for a model
reloaded from a ``.keras`` file, with or without Rescaling, stock Keras
3.5.0 included, and for any second conversion in a process (an upstream
crash, not the shim's): the README documents the export route instead,
which this file proves.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from tests.conftest import AffectedModel

tf = pytest.importorskip("tensorflow", reason="SavedModel and TFLite need TensorFlow")


def export(affected: AffectedModel, folder: Path) -> Path:
    """The affected file, reloaded (under the session's shim) and exported.

    Inside each test, not a fixture: without the shim this is what fails.
    """
    reloaded = keras.models.load_model(affected.copy_to(folder))
    reloaded.export(folder / "saved_model")
    return folder / "saved_model"


@pytest.mark.fix
def test_saved_model_serves_the_original_outputs_bit_for_bit(
    affected_model: AffectedModel, tmp_path: Path
) -> None:
    exported = export(affected_model, tmp_path)
    artifact = tf.saved_model.load(str(exported))
    served = artifact.serve(tf.constant(affected_model.inputs)).numpy()
    assert served.dtype == affected_model.expected.dtype
    assert served.tobytes() == affected_model.expected.tobytes()
    signature = artifact.signatures["serving_default"]
    [name] = signature.structured_input_signature[1]
    [output] = signature(**{name: tf.constant(affected_model.inputs)}).values()
    assert output.numpy().tobytes() == affected_model.expected.tobytes()


@pytest.mark.fix
def test_tflite_converts_the_export_and_runs_it(
    affected_model: AffectedModel, tmp_path: Path
) -> None:
    exported = export(affected_model, tmp_path)
    converted = tf.lite.TFLiteConverter.from_saved_model(str(exported)).convert()
    interpreter = tf.lite.Interpreter(model_content=converted)
    [given] = interpreter.get_input_details()
    [taken] = interpreter.get_output_details()
    batch = affected_model.inputs
    interpreter.resize_tensor_input(given["index"], batch.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(given["index"], batch)
    interpreter.invoke()
    actual = interpreter.get_tensor(taken["index"])
    np.testing.assert_allclose(actual, affected_model.expected, rtol=1e-6, atol=1e-6)
