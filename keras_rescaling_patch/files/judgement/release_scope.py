"""What one file's objects are judged against, and the answers kept.

A :class:`Scope` is the targeted releases (a mask over the knowledge's
releases) and the release that saved the file; ``verdict_of`` turns the
releases that pass a check into a :class:`~.findings.Verdict`, and the
verdicts on a class's name and on each of its keys are worked out once per
scope: a fleet's layers are mostly alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.files.judgement.findings import (
    AFFECTED,
    Verdict,
)
from keras_rescaling_patch.files.judgement.knowledge import (
    Knowledge,
    Lookup,
    knowledge,
)
from keras_rescaling_patch.files.options import Targets


@dataclass(frozen=True)
class Scope:
    """What the objects of one file are judged against: the targeted
    releases (a mask over the knowledge's releases, and whether releases
    after the newest are targeted too), and the release that saved it.
    ``quiet``: what ``_quiet`` found of each kind of object (module, name,
    nested, keys) for this scope, and whether each kind and the names its
    vocabulary keys hold are read by every targeted release."""

    mask: int
    later: bool
    saved_by: str | None
    quiet: dict[tuple[Any, ...], Any] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


@cache
def scope(targets: Targets, saved_by: str | None) -> Scope:
    known = knowledge()
    mask = 0
    for number, text in enumerate(known.releases):
        if Version.parse(text) in targets:
            mask |= 1 << number
    return Scope(mask, targets.open_ended, saved_by)


def _bits(known: Knowledge, mask: int) -> tuple[str, ...]:
    return tuple(text for n, text in enumerate(known.releases) if mask >> n & 1)


def verdict_of(
    known: Knowledge, scope_: Scope, works: int, asked: int = -1
) -> Verdict | None:
    """The verdict on a check that the releases in ``works`` pass (of those
    ``asked``: an argument is asked of the releases that find its class),
    or ``None`` where every targeted release passes."""
    newest = 1 << (len(known.releases) - 1)
    works &= known.every
    failing = scope_.mask & asked & ~works
    later = scope_.later and bool(asked & newest) and not works & newest
    if not failing and not later:
        return None
    upward = works and works | (works - 1) == known.every  # every release from one on
    oldest = (works & -works).bit_length() - 1 if upward else -1
    return Verdict(
        AFFECTED,
        failing=_bits(known, failing),
        failing_later=later,
        fails_anywhere=_bits(known, known.every & asked & ~works),
        works_from=known.releases[oldest] if oldest >= 0 else None,
    )


def as_json(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def same(first: Any, second: Any) -> bool:
    return as_json(first, 10**6) == as_json(second, 10**6)


def saved_index(known: Knowledge, saved_by: str | None) -> int | None:
    return known.index.get(saved_by) if saved_by else None


@lru_cache(maxsize=1 << 16)
def name_verdict(lookup: Lookup, scope_: Scope) -> Verdict | None:
    known = knowledge()
    return verdict_of(known, scope_, known.finds(lookup))


@lru_cache(maxsize=1 << 16)
def key_verdict(lookup: Lookup, key: str, scope_: Scope) -> Verdict | None:
    known = knowledge()
    return verdict_of(known, scope_, known.takes(lookup, key), known.finds(lookup))


def clear_caches() -> None:
    """Forget every answer worked out (for tests that change the knowledge)."""
    known = knowledge()
    caches = (known.finds, known.takes, scope, name_verdict, key_verdict)
    for cached in caches:
        cached.cache_clear()
