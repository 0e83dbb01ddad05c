"""``KRP011`` and ``KRP013``: does a release take each key of a class, and
have each name a value gives in its own vocabulary?

A port drops a key only where the file holds the saving release's default,
or a value of the table (``changes.SAME_AS_ABSENT``) that behaves as the
argument's absence. The vocabularies: an activation's name, a loss or
metric named in the compile config, a loss's reduction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from keras_rescaling_patch.files.judgement import changes
from keras_rescaling_patch.files.judgement.findings import (
    Incompatibility,
)
from keras_rescaling_patch.files.judgement.knowledge import (
    Knowledge,
    Lookup,
)
from keras_rescaling_patch.files.judgement.release_scope import (
    Scope,
    as_json,
    key_verdict,
    same,
    saved_index,
    verdict_of,
)
from keras_rescaling_patch.files.judgement.rules import (
    ARGUMENT_NOT_TAKEN,
    VALUE_NOT_TAKEN,
)
from keras_rescaling_patch.files.model.config_walk import (
    ObjectPlacement,
)

ACTIVATIONS = "keras.activations"


def _default(
    known: Knowledge, lookup: Lookup, key: str, saved: int | None
) -> list[Any] | None:
    """``[default]`` of ``key`` in the saving release (unknown, or a release
    without the argument, as a file whose metadata.json names another
    release than wrote it: the default every release that has the argument
    agrees on)."""
    if saved is not None:
        found = known.default(lookup, key, saved)
        if found is not None:  # [value], or no literal default
            return found if isinstance(found, list) else None
    seen = set()
    for release in range(len(known.releases)):
        found = known.default(lookup, key, release)
        if found is not None:
            seen.add(as_json(found, 10**6))
    if len(seen) == 1:
        only = json.loads(seen.pop())
        return only if isinstance(only, list) else None
    return None


def key_findings(
    known: Knowledge,
    placement: ObjectPlacement,
    lookup: Lookup,
    judged: Lookup,
    scope_: Scope,
) -> Iterator[Incompatibility]:
    saved = saved_index(known, scope_.saved_by)
    name = lookup[1]
    for key, value in placement.entry["config"].items():
        verdict = key_verdict(judged, key, scope_)
        if verdict is None:
            continue
        default = _default(known, lookup, key, saved)
        absent = changes.SAME_AS_ABSENT.get((name, key), ())
        port, blocked = None, None
        if (default is not None and same(default[0], value)) or any(
            same(v, value) for v in absent
        ):
            port = "drop"
        else:
            shown = f" {as_json(default[0])}" if default is not None else ""
            blocked = f"holds {as_json(value)}, not the default{shown}"
        yield Incompatibility(
            ARGUMENT_NOT_TAKEN.code, path=placement.path,
            key=f"{placement.key}.config.{key}".lstrip("."), owner=name,
            argument=str(key), value=as_json(value),
            default=None if default is None else as_json(default[0]),
            saved_by=scope_.saved_by, port=port, blocked=blocked, verdict=verdict,
        )  # fmt: skip


def _value_finding(
    known: Knowledge,
    placement: ObjectPlacement,
    key: str,
    value: str,
    works: int,
    scope_: Scope,
    what: str,
) -> Iterator[Incompatibility]:
    verdict = verdict_of(known, scope_, works)
    if verdict is not None:
        yield Incompatibility(
            VALUE_NOT_TAKEN.code, path=placement.path, key=key,
            owner=str(placement.entry["class_name"]), argument=key.rsplit(".", 1)[-1],
            value=as_json(value), saved_by=scope_.saved_by, structure=what,
            blocked=f"holds {as_json(value)}, {what} those releases do not have",
            verdict=verdict,
        )  # fmt: skip


def value_findings(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterator[Incompatibility]:
    """Names and values a release must have in its own vocabulary."""
    config = placement.entry["config"]
    prefix = f"{placement.key}.config.".lstrip(".")
    for key, value in config.items():
        if isinstance(value, str) and str(key).endswith("activation"):
            works = known.finds((ACTIVATIONS, value, ACTIVATIONS))
            yield from _value_finding(
                known, placement, prefix + key, value, works, scope_,
                "an activation",
            )  # fmt: skip
    reduction = config.get("reduction")
    if "reduction" in config and str(placement.entry.get("module")) == "keras.losses":
        works = known.reduction(reduction)
        yield from _value_finding(
            known, placement, prefix + "reduction", reduction, works, scope_,
            "a reduction",
        )  # fmt: skip


def compile_names(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterator[Incompatibility]:
    """Losses and metrics a compile config names by a string."""
    compiled = placement.entry.get("compile_config")
    if not isinstance(compiled, dict):
        return
    for key, family in (
        ("loss", "keras.losses"),
        ("metrics", "keras.metrics"),
        ("weighted_metrics", "keras.metrics"),
    ):
        for where, name in _strings(compiled.get(key), f"compile_config.{key}"):
            if family == "keras.metrics" and name in changes.ALWAYS_METRICS:
                continue
            works = known.finds((family, name, family))
            yield from _value_finding(
                known, placement, where, name, works, scope_,
                "a loss" if family == "keras.losses" else "a metric",
            )  # fmt: skip


def _strings(value: object, where: str) -> Iterator[tuple[str, str]]:
    """The strings of a compile config entry (a name, a list or dict of them,
    lists of lists), with where each is."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, dict) and "class_name" not in value:
        for name, item in value.items():
            yield from _strings(item, f"{where}.{name}")
