"""A synthetic ``.keras`` archive of any size, for benchmarks and tests.

The config holds one Rescaling with an array scale (an affected file);
``model.weights.h5`` is random bytes, stored, so the archive is as big as
asked without building a model of that size.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

CHUNK = 8 * 1024 * 1024
CONFIG = {
    "module": "keras",
    "class_name": "Functional",
    "config": {
        "name": "model",
        "trainable": True,
        "layers": [
            {
                "module": "keras.layers",
                "class_name": "Rescaling",
                "config": {
                    "name": "rescaling",
                    "trainable": True,
                    "scale": {
                        "class_name": "__numpy__",
                        "config": {"value": [0.1, 0.2, 0.3], "dtype": "float64"},
                    },
                    "offset": 0.0,
                },
            }
        ],
    },
}


def synthetic_archive(path: Path, weight_bytes: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.4.1"}))
        archive.writestr("config.json", json.dumps(CONFIG))
        with archive.open("model.weights.h5", "w", force_zip64=True) as stream:
            block = os.urandom(min(CHUNK, weight_bytes))
            left = weight_bytes
            while left:
                stream.write(block[: min(left, len(block))])
                left -= min(left, len(block))
    return path
