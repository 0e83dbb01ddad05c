"""Synthetic ``.keras`` archives of any size, for benchmarks and tests.

The config holds one Rescaling with an array scale (an affected file);
``model.weights.h5`` is random bytes, stored, so the archive is as big as
asked without building a model of that size (:func:`synthetic_archive`),
or zeros left as a hole, for archives past 4 GiB (:func:`sparse_archive`).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

CHUNK = 8 * 1024 * 1024


def rescaling_config(scale: object, name: str = "rescaling") -> dict[str, Any]:
    """A Functional model config holding one Rescaling with this ``scale``."""
    layer = {"name": name, "trainable": True, "scale": scale, "offset": 0.0}
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": "model",
            "trainable": True,
            "layers": [
                {"module": "keras.layers", "class_name": "Rescaling", "config": layer}
            ],
        },
    }


def numpy_marker(value: object, dtype: str = "float64") -> dict[str, Any]:
    """A serialized NumPy array, as Keras writes one."""
    return {"class_name": "__numpy__", "config": {"value": value, "dtype": dtype}}


CONFIG = rescaling_config(numpy_marker([0.1, 0.2, 0.3]))


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


class _Sparse:
    """A file that turns writes of ``ZEROS`` into holes: a sparse archive of
    gigabytes costs neither the disk nor the time of writing them."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        if data is ZEROS:
            self._stream.seek(len(data), os.SEEK_CUR)
            return len(data)
        return int(self._stream.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


ZEROS = bytes(64 << 20)


def sparse_archive(path: Path, config: bytes, weight_bytes: int) -> Path:
    """A ``.keras`` archive whose ``model.weights.h5`` (stored) is
    ``weight_bytes`` of zeros left as a hole, and, after it, a small
    ``assets/after-weights.txt``: past 4 GiB, the offsets and sizes that need
    zip64 records are real ones."""
    with path.open("wb") as raw:
        with zipfile.ZipFile(_Sparse(raw), "w", zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
            archive.writestr("metadata.json", json.dumps({"keras_version": "3.4.1"}))
            archive.writestr("config.json", config)
            with archive.open("model.weights.h5", "w", force_zip64=True) as stream:
                left = weight_bytes
                while left >= len(ZEROS):
                    stream.write(ZEROS)
                    left -= len(ZEROS)
                stream.write(bytes(left))
            archive.writestr("assets/after-weights.txt", b"after the weights\n")
    return path
