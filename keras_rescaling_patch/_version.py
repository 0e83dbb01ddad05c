"""Compare Keras version strings without the ``packaging`` distribution.

Keras 3.0 to 3.3 do not depend on ``packaging`` (only 3.4+ do), and this
package promises to need nothing but Keras and NumPy at run time. The
gate only asks "is this 3.x, and is it below 3.5.0?", which a release
tuple plus a pre-release flag answers exactly as PEP 440 would for every
Keras version string published so far (``3.4.1``, ``3.5.0rc1``,
``3.5.0.dev2024080103``, ``3.11.0+local``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RELEASE = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.\d+)*(.*)$")
_PRE_RELEASE = re.compile(
    r"^[-_.]?(a|alpha|b|beta|c|rc|pre|preview|dev)", re.IGNORECASE
)
_ALLOWED_TAIL = re.compile(
    r"^[-_.]?(?:(?:a|alpha|b|beta|c|rc|pre|preview|dev|post)\d*[-_.]?)*(?:\+[\w.]+)?$",
    re.IGNORECASE,
)


class InvalidVersion(ValueError):
    """The string is not a version number this module understands."""


@dataclass(frozen=True, order=True)
class Version:
    """A release tuple, ordered before its own final release when a pre-release."""

    major: int
    minor: int
    micro: int
    final: bool

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _RELEASE.match(text.strip())
        if match is None or not _ALLOWED_TAIL.match(match[4]):
            raise InvalidVersion(f"invalid version: {text!r}")
        major, minor, micro = (int(part or 0) for part in match.group(1, 2, 3))
        return cls(major, minor, micro, final=_PRE_RELEASE.match(match[4]) is None)


def release(major: int, minor: int, micro: int) -> Version:
    """A final release, for the constants the gate compares against."""
    return Version(major, minor, micro, final=True)
