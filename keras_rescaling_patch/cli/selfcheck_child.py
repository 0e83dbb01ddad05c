"""Child process of ``keras-rescaling-patch check``: reload a model, compare.

Run as a script (by path) in a fresh interpreter, so that "without the
shim" really means a process where this package was never imported (the
parent sets ``KERAS_RESCALING_PATCH=off`` so that neither the start-up hook
nor ``run`` brings it in, and the child reports if it got in anyway).
With the shim, it loads the model the way users write it: the package
first, then TensorFlow and ``tf.keras`` when TensorFlow is installed and
the backend, else ``keras``. Prints one JSON object on its last stdout line.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _one_line(error: BaseException) -> str:
    text = " ".join(ANSI_ESCAPE.sub("", str(error)).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(error).__name__}: {text}"


def _configured_backend() -> str:
    """The backend Keras will choose, found as Keras finds it (the
    ``KERAS_BACKEND`` variable, then ``keras.json``), without importing it."""
    import os

    chosen = os.environ.get("KERAS_BACKEND")
    if chosen:
        return chosen
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as stream:
            return str(json.load(stream).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def _load_model_function() -> tuple[str, Any]:
    """``tf.keras.models.load_model`` where TensorFlow is installed and is the
    backend, as users write it on TensorFlow 2.16+; ``keras.models.load_model``
    elsewhere (JAX and PyTorch users import Keras itself, and tf.keras is not
    this Keras under TF_USE_LEGACY_KERAS)."""
    import importlib.util
    import os

    tensorflow = importlib.util.find_spec("tensorflow") is not None
    # TF_USE_LEGACY_KERAS makes tf.keras the Keras 2 of tf_keras, which has
    # no bug to check: the Keras 3 the shim patches is `keras` then.
    legacy = os.environ.get("TF_USE_LEGACY_KERAS") in ("true", "True", "1")
    if tensorflow and not legacy and _configured_backend() == "tensorflow":
        import tensorflow as tf

        return "tf.keras", tf.keras.models.load_model
    import keras

    return "keras", keras.models.load_model


def reload_and_compare(
    model_path: str, inputs_path: str, expected_path: str
) -> dict[str, object]:
    """Load the model, predict, compare bit for bit with the saved output."""
    import numpy as np

    inputs = np.load(inputs_path)
    expected = np.load(expected_path)
    loader, load_model = _load_model_function()
    try:
        model = load_model(model_path)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return {"stage": "load", "loader": loader, "error": _one_line(error)}
    try:
        actual = np.asarray(model.predict(inputs, verbose=0))
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return {"stage": "predict", "loader": loader, "error": _one_line(error)}
    identical = actual.dtype == expected.dtype and np.array_equal(actual, expected)
    return {"stage": "done", "loader": loader, "identical": bool(identical)}


def main(argv: list[str]) -> int:
    with_shim = argv[0] == "--shim"
    result: dict[str, object] = {"with_shim": with_shim}
    if with_shim:
        import keras_rescaling_patch  # noqa: F401 - first, as the README says
    result.update(reload_and_compare(*argv[1:4]))
    shim = sys.modules.get("keras_rescaling_patch")
    result["shim_imported"] = shim is not None
    if shim is not None:
        result["shim_active"] = shim.status().active
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    # Run by path, Python put this package's own folder first on sys.path;
    # drop it so that only installed top-level modules can be imported.
    del sys.path[0]
    raise SystemExit(main(sys.argv[1:]))
