"""A model config's JSON, parsed only within what it may cost.

Parsing memory and the walk's time grow with the number of objects and
lists more than with bytes, so both are bounded before anything is parsed:
the size, by the caller's limit; the containers, at one per
``BYTES_PER_CONTAINER`` bytes of that limit (a real config holds one per 50
bytes or so; brackets inside strings count as well); the nesting, by
``MAX_NESTING``.
"""

from __future__ import annotations

import json
from typing import Any

from keras_rescaling_patch.files.model.source import UnreadableModel
from keras_rescaling_patch.files.options import MAX_CONFIG
from keras_rescaling_patch.files.problems import LimitReached, message

# Containers inside containers; a deep Keras model needs a few dozen. json
# parses up to about 990 (Python's recursion limit); the walk refuses more
# than this, so json.dumps of a repaired config never meets that limit.
MAX_NESTING = 400
# Real configs hold one object or list per ~50 bytes (EfficientNetB7: 15,481
# in 733 KiB); a config of nothing but "[]," would hold one per 3.
BYTES_PER_CONTAINER = 16


def too_big(what: str, size: int, limit: int) -> LimitReached:
    """``what`` holds more bytes than the config size limit allows."""
    text = message(
        f"{what} is {size} bytes, over the limit of {limit} (raise it with ",
        MAX_CONFIG,
        ")",
    )
    return LimitReached(text, limit, MAX_CONFIG)


def check_containers(text: bytes, where: str, max_config_bytes: int) -> None:
    """Refuse more objects and lists than the config size limit allows."""
    containers = text.count(b"{") + text.count(b"[")
    allowed = max_config_bytes // BYTES_PER_CONTAINER
    if containers > allowed:
        raise LimitReached(
            message(
                f"{where} holds {containers} objects and lists, more than the "
                f"{allowed} that ",
                MAX_CONFIG,
                f" allows (one for every {BYTES_PER_CONTAINER} bytes of config "
                "it allows)",
            ),
            allowed,
            MAX_CONFIG,
        )


def parse_config(text: bytes, where: str, max_config_bytes: int) -> dict[str, Any]:
    """Parse a model config, refusing what is not one or costs too much."""
    check_containers(text, where, max_config_bytes)
    try:
        config = json.loads(text)
    except RecursionError:
        raise UnreadableModel(
            f"{where} nests deeper than {MAX_NESTING} levels; not a model config"
        ) from None
    except (UnicodeDecodeError, ValueError) as error:
        if "integer string conversion" in str(error):  # Python's digit limit
            raise UnreadableModel(
                f"{where} holds an integer of more digits than Python reads; "
                "not a model config"
            ) from None
        raise UnreadableModel(f"{where} is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise UnreadableModel(f"{where} does not hold a JSON object")
    if not isinstance(config.get("class_name"), str) or "config" not in config:
        raise UnreadableModel(
            f"{where} is not a model config (no class_name and config at its top)"
        )
    return config  # its nesting is bounded by the walk (config_walk)
