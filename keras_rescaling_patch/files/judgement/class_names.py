"""``KRP010``: does a release find a class under the module and name the
file gives, and which name would it find instead?

A port writes another name the release finds for the same class
(``Orthogonal`` becomes ``OrthogonalInitializer`` for 3.0-3.3), the public
module for one a release moved (``keras.src.layers.preprocessing.
random_rotation`` becomes ``keras.layers``), or a ``DTypePolicy`` object as
its name.
"""

from __future__ import annotations

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
    name_verdict,
    saved_index,
)
from keras_rescaling_patch.files.judgement.rules import (
    CLASS_NOT_FOUND,
)
from keras_rescaling_patch.files.model.config_walk import (
    ObjectPlacement,
)


def _class_in(known: Knowledge, lookup: Lookup, saved: int | None) -> tuple[int, int]:
    """``(class, release)``: the class the file means, as the saving release
    (unknown: the newest that has it) finds it, by its table or its module."""
    releases = [saved] if saved is not None else []
    releases += list(reversed(range(len(known.releases))))
    for release in releases:
        for attempt in (lookup, (lookup[0], lookup[1], None)):
            number = known.found(attempt, release)
            if number is not None:
                return number, release
    return -1, -1


def _renamed(known: Knowledge, lookup: Lookup, scope_: Scope) -> Lookup | None:
    """Another module and name every targeted release finds for the same
    class: one of Keras's own names for it where the file's release finds
    it, its own class name first, then the public modules' names."""
    number, release = _class_in(known, lookup, saved_index(known, scope_.saved_by))
    if number < 0:
        return None
    own = known.class_name(number)
    names = [lookup[1], *known.names_for(lookup, number, release)]
    candidates: list[Lookup] = [(lookup[0], n, lookup[2]) for n in dict.fromkeys(names)]
    if lookup[2] is None:  # found by module: the public modules may have it
        candidates += [(m, n, None) for m, n in known.exports_of(number, release)]
    newest = 1 << (len(known.releases) - 1)
    needed = scope_.mask | (newest if scope_.later else 0)
    found = [c for c in candidates if known.finds(c) & needed == needed]
    if not found:
        return None
    return min(
        found, key=lambda c: (not c[1][:1].isupper(), c[1] != own, c[0] != lookup[0])
    )


def name_finding(
    known: Knowledge, placement: ObjectPlacement, lookup: Lookup, scope_: Scope
) -> tuple[Incompatibility | None, Lookup | None]:
    """The finding on the class's name, if any, and the lookup its keys are
    judged by (``None``: none can be: no release of the targets has it)."""
    verdict = name_verdict(lookup, scope_)
    if verdict is None:
        return None, lookup
    entry, name = placement.entry, lookup[1]
    renamed = _renamed(known, lookup, scope_)
    port, blocked, judged = None, None, None
    if renamed is not None:
        port = (
            f"rename:{renamed[1]}"
            if renamed[0] == lookup[0]
            else (f"move:{renamed[0]}:{renamed[1]}")
        )
        judged = renamed
    elif name in changes.PLAIN_POLICIES and _policy_name(entry) is not None:
        port = f"name:{_policy_name(entry)}"
    else:
        blocked = "is a class no targeted release has (under any name)"
    finding = Incompatibility(
        CLASS_NOT_FOUND.code, path=placement.path, key=placement.key, owner=name,
        argument=None, value=as_json(f"{lookup[0]}.{name}"), saved_by=scope_.saved_by,
        port=port, blocked=blocked, verdict=verdict,
    )  # fmt: skip
    return finding, judged


def _policy_name(entry: dict[str, Any]) -> str | None:
    config = entry.get("config")
    if isinstance(config, dict) and set(config) == {"name"}:
        name = config["name"]
        if isinstance(name, str) and "_from_" not in name:
            return name
    return None
