"""JSON that is valid UTF-8, and names that can be had back byte for byte.

A file name on Linux is bytes, and need not be UTF-8; Python holds such a
name with each undecodable byte as a lone surrogate (``surrogateescape``),
and a layer name read from a config may hold lone surrogates too. JSON
text must be Unicode, and a consumer (``jq``) turns lone surrogates into
U+FFFD, after which the name finds no file. So every string of a JSON
output has its lone surrogates replaced by U+FFFD (:func:`valid_utf8`), and
a field naming a file that is not valid UTF-8 comes with a twin holding its
exact bytes in base64 (:func:`name_fields`: ``file`` and ``file_base64``),
which standard tools decode: ``jq -r '.file_base64 // (.file | @base64)' |
base64 -d``.
"""

from __future__ import annotations

import base64
import os
from typing import Any


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def name_fields(key: str, name: str | None) -> dict[str, Any]:
    """``{key: name}``, and ``{key}_base64`` with the name's exact bytes
    where it is not valid UTF-8 (``name`` then shows U+FFFD for them)."""
    if name is None or _is_unicode(name):
        return {key: name}
    raw = os.fsencode(name) if _escaped_only(name) else _raw(name)
    return {
        key: raw.decode("utf-8", "replace"),
        f"{key}_base64": base64.b64encode(raw).decode("ascii"),
    }


def _escaped_only(text: str) -> bool:
    """Whether every surrogate in ``text`` stands for an undecodable byte."""
    return all(
        not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text
    )


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def valid_utf8(value: Any) -> Any:
    """``value`` with every string's lone surrogates replaced by U+FFFD
    (dicts and lists are copied; nothing is changed where nothing needs it)."""
    if isinstance(value, str):
        return value if _is_unicode(value) else _replaced(value)
    if isinstance(value, dict):
        return {valid_utf8(key): valid_utf8(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_utf8(item) for item in value]
    return value


def _replaced(text: str) -> str:
    return "".join(
        "\N{REPLACEMENT CHARACTER}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text
    )
