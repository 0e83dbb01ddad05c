"""Keras releases: which ones have the bug, and how their versions order.

The one place that knows the release facts (the gate, ``vendor``, the
tests, the matrix and its report all read them here):

- ``FIRST_FIXED``: 3.5.0 fixed the bug (keras-team/keras#20072, #20079);
- ``AFFECTED``: the 16 releases on PyPI that have it, 3.0.0 to 3.4.1;
- ``KERAS_3``: every Keras 3 release on PyPI up to ``LATEST_CHECKED``, the
  newest the file tools' verdicts were checked against;
- :class:`Version`: ordering without the ``packaging`` distribution, which
  Keras 3.0 to 3.3 do not install. The gate only asks "is this 3.x, and is
  it below 3.5.0?", which a release tuple plus a pre-release flag answers
  exactly as PEP 440 would for every Keras version string published so far
  (``3.4.1``, ``3.5.0rc1``, ``3.5.0.dev2024080103``, ``3.11.0+local``).

Parsing a plain ``X.Y.Z`` (what an installed Keras reports) needs no
regular expression: compiling them cost the import a millisecond, so they
are compiled only for anything else.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: this module is imported by the shim
if TYPE_CHECKING:
    import re

AFFECTED = (
    "3.0.0", "3.0.1", "3.0.2", "3.0.3", "3.0.4", "3.0.5", "3.1.0", "3.1.1",
    "3.2.0", "3.2.1", "3.3.0", "3.3.1", "3.3.2", "3.3.3", "3.4.0", "3.4.1",
)  # fmt: skip
# Written by scripts/keras_knowledge.py from PyPI: every Keras 3 release.
KERAS_3 = (
    *AFFECTED, "3.5.0", "3.6.0", "3.7.0", "3.8.0", "3.9.0", "3.9.1", "3.9.2",
    "3.10.0", "3.11.0", "3.11.1", "3.11.2", "3.11.3", "3.12.0", "3.12.1",
    "3.12.2", "3.12.3", "3.12.4", "3.13.0", "3.13.1", "3.13.2", "3.14.0",
    "3.14.1", "3.15.0", "3.15.1",
)  # fmt: skip
LATEST_CHECKED = KERAS_3[-1]
# SHA-256 of keras/src/layers/preprocessing/rescaling.py as those releases
# ship it, in its two byte layouts (3.0.0-3.2.1 and 3.3.0-3.4.1); the same
# digests head the diffs in patches/ ("Pristine-SHA256").
PRISTINE_RESCALING_SHA256 = frozenset(
    {
        "cfc64327a2f4bb959b465c099d5703aa36023918de313317b56bb099269fb4cb",
        "91fda85a242bc2c6568fd7bfd7389425e2c36c93f067b342ed2faf7748a21fc6",
    }
)
_PATTERNS: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None = None


class InvalidVersion(ValueError):
    """The string is not a version number this module understands."""


def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    global _PATTERNS
    if _PATTERNS is None:
        import re

        _PATTERNS = (
            re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.\d+)*(.*)$"),
            re.compile(r"^[-_.]?(a|alpha|b|beta|c|rc|pre|preview|dev)", re.IGNORECASE),
            re.compile(
                r"^[-_.]?(?:(?:a|alpha|b|beta|c|rc|pre|preview|dev|post)\d*[-_.]?)*"
                r"(?:\+[\w.]+)?$",
                re.IGNORECASE,
            ),
        )
    return _PATTERNS


class Version(tuple[int, int, int, int]):
    """``(major, minor, micro, final)``; a pre-release orders before its release.

    A plain tuple subclass rather than a dataclass: this module is imported
    on every ``import keras_rescaling_patch``, and an ordered dataclass costs
    about a millisecond to create.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        stripped = text.strip()
        parts = stripped.split(".")
        if len(parts) == 3 and all(part.isdigit() and part.isascii() for part in parts):
            return cls((int(parts[0]), int(parts[1]), int(parts[2]), 1))
        release_pattern, pre_release, allowed_tail = _patterns()
        match = release_pattern.match(stripped)
        if match is None or not allowed_tail.match(match[4]):
            raise InvalidVersion(f"invalid version: {text!r}")
        major, minor, micro = (int(part or 0) for part in match.group(1, 2, 3))
        final = pre_release.match(match[4]) is None
        return cls((major, minor, micro, int(final)))

    @property
    def major(self) -> int:
        return self[0]

    def __str__(self) -> str:
        text = f"{self[0]}.{self[1]}.{self[2]}"
        return text if self[3] else f"{text} (a pre-release)"


def release(major: int, minor: int, micro: int) -> Version:
    """A final release, for the constants the gate compares against."""
    return Version((major, minor, micro, 1))


FIRST_FIXED = release(3, 5, 0)


def is_affected_release(text: str) -> bool:
    """A Keras 3 release before 3.5.0 (by version only; the gate also probes)."""
    version = Version.parse(text)
    return version.major == 3 and version < FIRST_FIXED
