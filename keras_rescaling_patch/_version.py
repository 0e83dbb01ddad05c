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


class Version(tuple[int, int, int, int]):
    """``(major, minor, micro, final)``; a pre-release orders before its release.

    A plain tuple subclass rather than a dataclass: this module is imported
    on every ``import keras_rescaling_patch``, and an ordered dataclass costs
    about a millisecond to create.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _RELEASE.match(text.strip())
        if match is None or not _ALLOWED_TAIL.match(match[4]):
            raise InvalidVersion(f"invalid version: {text!r}")
        major, minor, micro = (int(part or 0) for part in match.group(1, 2, 3))
        final = _PRE_RELEASE.match(match[4]) is None
        return cls((major, minor, micro, int(final)))

    @property
    def major(self) -> int:
        return self[0]


def release(major: int, minor: int, micro: int) -> Version:
    """A final release, for the constants the gate compares against."""
    return Version((major, minor, micro, 1))
