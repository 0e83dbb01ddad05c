"""The model config inside a legacy HDF5 (``.h5``) model, found without h5py.

Keras's legacy format keeps the model config as a JSON string attribute
(``model_config``), which h5py stores as one contiguous run of bytes near
the start of the file, before the weights. So the config is found by
searching for the text it starts with, and parsed from a small window that
grows only while the text runs past it: a config is usually kilobytes, and
the weights after it are never copied for nothing. A local file is
searched whole through a memory map (only the pages looked at are read); a
remote one from its start, in growing reads, up to a limit.
"""

from __future__ import annotations

import json
from typing import Any

from keras_rescaling_patch.files.model.json_config import check_containers
from keras_rescaling_patch.files.model.source import Readable, UnreadableModel
from keras_rescaling_patch.files.options import MAX_READ
from keras_rescaling_patch.files.problems import LimitReached, message

SIGNATURE = b"\x89HDF\r\n\x1a\n"
CONFIG_START = b'{"class_name": '
CANDIDATES = 64
# A candidate is parsed from this many bytes first, four times more each
# time the text runs past the end, up to the config size limit.
FIRST_WINDOW = 64 * 1024
# A remote .h5 file is read from its start, this much first, then twice as
# much each time the config is not found, up to the read limit.
FIRST_READ = 256 * 1024


def _runs_past_the_end(error: ValueError, text: str) -> bool:
    """Whether JSON parsing failed because the text was cut short."""
    if not isinstance(error, json.JSONDecodeError):
        return False
    return error.pos >= len(text) - 1 or error.msg.startswith("Unterminated")


def _parse_candidate(data: Any, start: int, max_config_bytes: int) -> tuple[Any, int]:
    """The JSON value at ``data[start:]`` (None where there is none within
    ``max_config_bytes``), and where the bytes looked at end."""
    limit = min(len(data), start + max_config_bytes)
    window = FIRST_WINDOW
    while True:
        end = min(limit, start + window)
        chunk = data[start:end]
        check_containers(chunk, "the HDF5 model config", max_config_bytes)
        text = chunk.decode("utf-8", "replace")
        try:
            return json.JSONDecoder().raw_decode(text)[0], end
        except RecursionError:
            return None, end
        except ValueError as error:
            if end >= limit or not _runs_past_the_end(error, text):
                return None, end
        window *= 4


def _find_config(data: Any, max_config_bytes: int) -> tuple[dict[str, Any] | None, int]:
    """The first JSON object in ``data`` that starts like Keras's model config
    and has a ``layers`` list (reading stops at the size limit), and how far
    into ``data`` the search looked."""
    start = data.find(CONFIG_START)
    looked = len(data)
    for _ in range(CANDIDATES):
        if start < 0:
            break
        config, end = _parse_candidate(data, start, max_config_bytes)
        inner = config.get("config") if isinstance(config, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
            return dict(config), end
        start = data.find(CONFIG_START, start + 1)
    return None, looked


def read_hdf5_config(
    source: Readable, max_config_bytes: int, max_read_bytes: int
) -> tuple[dict[str, Any], int]:
    """The model config of a legacy ``.h5`` model, and the bytes of a memory
    map looked at."""
    import mmap

    if source.size == 0:
        raise UnreadableModel("is an empty HDF5 file")
    descriptor = source.mappable
    mapped = 0
    config: dict[str, Any] | None = None
    if descriptor is not None:
        with mmap.mmap(descriptor, 0, access=mmap.ACCESS_READ) as data:
            config, mapped = _find_config(data, max_config_bytes)
    else:
        source.stream.seek(0)
        head = b""
        wanted = min(FIRST_READ, max_read_bytes)
        while True:
            head += source.stream.read(wanted - len(head))
            config, _ = _find_config(head, max_config_bytes)
            if config is not None or len(head) < wanted or wanted >= max_read_bytes:
                break
            wanted = min(2 * wanted, max_read_bytes)
        if config is None and source.size > len(head):
            raise LimitReached(
                message(
                    "is a legacy HDF5 (.h5) file whose model config is not in its "
                    f"first {max_read_bytes} bytes; not read further (raise ",
                    MAX_READ,
                    " to read more)",
                ),
                max_read_bytes,
                MAX_READ,
            )
    if config is None:
        raise UnreadableModel(
            "is a legacy HDF5 (.h5) file, but no Keras model config was found "
            f"in it (within {max_config_bytes} bytes of where one starts)"
        )
    return config, mapped
