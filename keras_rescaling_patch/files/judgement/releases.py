"""Which of the Keras releases checked so far a verdict is about.

The releases are ``KERAS_3`` (every Keras 3 release on PyPI up to the
newest checked); a finding fails on a set of them, given as the first
release that works (``None``: none does) and, beyond the newest checked,
by its rule. :func:`failing_before` intersects that with the caller's
targets, once per value: a scan of thousands of files asks the same
question for every finding.
"""

from __future__ import annotations

from functools import cache

from keras_rescaling_patch._keras_releases import KERAS_3, LATEST_CHECKED, Version
from keras_rescaling_patch.files.options import Targets

CHECKED: tuple[tuple[str, Version], ...] = tuple(
    (text, Version.parse(text)) for text in KERAS_3
)
ORDER = {text: number for number, text in enumerate(KERAS_3)}
assert CHECKED[-1][0] == LATEST_CHECKED


@cache
def failing_before(targets: Targets, first_fixed: str | None) -> tuple[str, ...]:
    """The checked releases ``targets`` take that come before
    ``first_fixed`` (every one, for ``None``): those that fail where a fix
    arrived in ``first_fixed``."""
    bound = None if first_fixed is None else Version.parse(first_fixed)
    return tuple(
        text
        for text, version in CHECKED
        if version in targets and (bound is None or version < bound)
    )


def checked_span() -> str:
    """``3.0.0-3.15.1``: what the verdicts were checked against."""
    return f"{KERAS_3[0]}-{LATEST_CHECKED}"
