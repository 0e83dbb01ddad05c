"""Record what every case and path gives, for the differential test.

Run in-process under the shim, and as a script in the Keras 3.5.0
reference environment (stock, no shim): the two records must be equal.
Usage as a script: ``python -m tests.differential_record OUT.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import keras

from support.cases import CASES, UNAFFECTED_CASES, rescaling_layers
from tests.roundtrips import ROUNDTRIPS


def _type_name(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _describe(value: Any) -> dict[str, Any]:
    array = keras.ops.convert_to_numpy(value)
    return {
        "type": _type_name(value),
        "dtype": str(array.dtype),
        "bytes": array.tobytes().hex(),
    }


def record_case(case_name: str, path: str, folder: Path) -> dict[str, Any]:
    case = next(c for c in CASES + UNAFFECTED_CASES if c.name == case_name)
    previous = keras.config.image_data_format()
    if case.channels_first:
        keras.config.set_image_data_format("channels_first")
    try:
        model, batch = case.build()
        original_config = [
            json.dumps(
                {k: layer.get_config()[k] for k in ("scale", "offset")}, default=repr
            )
            for layer in rescaling_layers(model)
        ]
        try:
            reloaded = ROUNDTRIPS[path](model, folder)
            output = reloaded(batch, training=False)
        except Exception as error:  # noqa: BLE001 - the record says it failed
            return {"error": type(error).__name__}
        layers = rescaling_layers(reloaded)
        return {
            "output": _describe(output),
            "scale": [_describe(layer.scale) for layer in layers],
            "offset": [_describe(layer.offset) for layer in layers],
            "config_before": original_config,
            "config_after": [
                json.dumps(
                    {k: layer.get_config()[k] for k in ("scale", "offset")},
                    default=repr,
                )
                for layer in layers
            ],
        }
    finally:
        keras.config.set_image_data_format(previous)


def record_all() -> dict[str, dict[str, Any]]:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for case in CASES + UNAFFECTED_CASES:
            for path in ROUNDTRIPS:
                results[f"{case.name}/{path}"] = record_case(
                    case.name, path, Path(folder)
                )
    return results


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(record_all(), indent=1, sort_keys=True))
