"""Child process of ``keras-rescaling-patch check``: reload a model, compare.

Run as a script (by path) in a fresh interpreter, so that "without the
shim" really means a process where this package was never imported.
Prints one JSON object on its last stdout line. Standard library, NumPy
and Keras only; imports ``keras_rescaling_patch`` only when asked to.
"""

from __future__ import annotations

import json
import re
import sys

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _one_line(error: BaseException) -> str:
    text = " ".join(ANSI_ESCAPE.sub("", str(error)).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(error).__name__}: {text}"


def reload_and_compare(
    model_path: str, inputs_path: str, expected_path: str
) -> dict[str, object]:
    """Load the model, predict, compare bit for bit with the saved output."""
    import keras
    import numpy as np

    inputs = np.load(inputs_path)
    expected = np.load(expected_path)
    try:
        model = keras.models.load_model(model_path)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return {"stage": "load", "error": _one_line(error)}
    try:
        actual = np.asarray(model.predict(inputs, verbose=0))
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return {"stage": "predict", "error": _one_line(error)}
    identical = actual.dtype == expected.dtype and np.array_equal(actual, expected)
    return {"stage": "done", "identical": bool(identical)}


def main(argv: list[str]) -> int:
    with_shim = argv[0] == "--shim"
    result: dict[str, object] = {"with_shim": with_shim}
    if with_shim:
        import keras_rescaling_patch

        result["shim_active"] = keras_rescaling_patch.status().active
    result.update(reload_and_compare(*argv[1:4]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    # Run by path, Python put this package's own folder first on sys.path;
    # drop it so that only installed top-level modules can be imported.
    del sys.path[0]
    raise SystemExit(main(sys.argv[1:]))
