"""Whether the targeted releases read every object of a config, and how.

Every serialized object a config holds (the model, its layers, their
initializers, regularizers, constraints and dtype policies, the compile
config's optimizer, schedule, losses and metrics) is judged against the
generated knowledge of each release (``knowledge.py``) and the table of
what no signature shows (``changes.py``):

- ``KRP010``: does the release find a class under the module and name the
  file gives? A port writes another name it finds for the same class
  (``Orthogonal`` becomes ``OrthogonalInitializer`` for 3.0-3.3), or the
  public module for one a release moved (``keras.src.layers.preprocessing.
  random_rotation`` becomes ``keras.layers``);
- ``KRP011``: does its class take each key? A port drops one only where the
  file holds the saving release's default, or a value of the table that
  behaves as the argument's absence;
- ``KRP012``: the structures and layouts of the table;
- ``KRP013``: values from a release's own vocabulary: an activation's
  name, a loss or metric named in the compile config, a loss's reduction.

Each problem is an :class:`~.findings.Incompatibility`, with a verdict (the
targeted releases that fail, the oldest that works) and its ``port``, or
why there is none. Answers are worked out once per kind of object and
kept: a fleet's layers are mostly alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.files.judgement import changes
from keras_rescaling_patch.files.judgement.findings import (
    AFFECTED,
    Incompatibility,
    Verdict,
)
from keras_rescaling_patch.files.judgement.knowledge import (
    Knowledge,
    Lookup,
    knowledge,
    lookup_of,
)
from keras_rescaling_patch.files.judgement.rules import (
    ARGUMENT_NOT_TAKEN,
    CLASS_NOT_FOUND,
    STRUCTURE_NOT_READ,
    VALUE_NOT_TAKEN,
)
from keras_rescaling_patch.files.model.config_walk import (
    ObjectPlacement,
    ObjectSite,
)
from keras_rescaling_patch.files.options import Targets

ACTIVATIONS = "keras.activations"


@dataclass(frozen=True)
class JudgedObject:
    """An incompatibility and the object it was found at (for ``repair``)."""

    finding: Incompatibility
    placement: ObjectPlacement


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


def _verdict(
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


def _json(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _same(first: Any, second: Any) -> bool:
    return _json(first, 10**6) == _json(second, 10**6)


def _saved_index(known: Knowledge, saved_by: str | None) -> int | None:
    return known.index.get(saved_by) if saved_by else None


@lru_cache(maxsize=1 << 16)
def _name_verdict(lookup: Lookup, scope_: Scope) -> Verdict | None:
    known = knowledge()
    return _verdict(known, scope_, known.finds(lookup))


@lru_cache(maxsize=1 << 16)
def _key_verdict(lookup: Lookup, key: str, scope_: Scope) -> Verdict | None:
    known = knowledge()
    return _verdict(known, scope_, known.takes(lookup, key), known.finds(lookup))


def clear_caches() -> None:
    """Forget every answer worked out (for tests that change the knowledge)."""
    known = knowledge()
    caches = (known.finds, known.takes, scope, _name_verdict, _key_verdict)
    for cached in caches:
        cached.cache_clear()


# --- names ---------------------------------------------------------------


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
    number, release = _class_in(known, lookup, _saved_index(known, scope_.saved_by))
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


def _name_finding(
    known: Knowledge, placement: ObjectPlacement, lookup: Lookup, scope_: Scope
) -> tuple[Incompatibility | None, Lookup | None]:
    """The finding on the class's name, if any, and the lookup its keys are
    judged by (``None``: none can be: no release of the targets has it)."""
    verdict = _name_verdict(lookup, scope_)
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
        argument=None, value=_json(f"{lookup[0]}.{name}"), saved_by=scope_.saved_by,
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


# --- arguments and values ----------------------------------------------


def _default(
    known: Knowledge, lookup: Lookup, key: str, saved: int | None
) -> list[Any] | None:
    """``[default]`` of ``key`` in the saving release (unknown: the default
    every release that has the argument agrees on)."""
    if saved is not None:
        found = known.default(lookup, key, saved)
        return found if isinstance(found, list) else None
    seen = set()
    for release in range(len(known.releases)):
        found = known.default(lookup, key, release)
        if found is not None:
            seen.add(_json(found, 10**6))
    if len(seen) == 1:
        only = json.loads(seen.pop())
        return only if isinstance(only, list) else None
    return None


def _key_findings(
    known: Knowledge,
    placement: ObjectPlacement,
    lookup: Lookup,
    judged: Lookup,
    scope_: Scope,
) -> Iterator[Incompatibility]:
    saved = _saved_index(known, scope_.saved_by)
    name = lookup[1]
    for key, value in placement.entry["config"].items():
        verdict = _key_verdict(judged, key, scope_)
        if verdict is None:
            continue
        default = _default(known, lookup, key, saved)
        absent = changes.SAME_AS_ABSENT.get((name, key), ())
        port, blocked = None, None
        if (default is not None and _same(default[0], value)) or any(
            _same(v, value) for v in absent
        ):
            port = "drop"
        else:
            shown = f" {_json(default[0])}" if default is not None else ""
            blocked = f"holds {_json(value)}, not the default{shown}"
        yield Incompatibility(
            ARGUMENT_NOT_TAKEN.code, path=placement.path,
            key=f"{placement.key}.config.{key}".lstrip("."), owner=name,
            argument=str(key), value=_json(value),
            default=None if default is None else _json(default[0]),
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
    verdict = _verdict(known, scope_, works)
    if verdict is not None:
        yield Incompatibility(
            VALUE_NOT_TAKEN.code, path=placement.path, key=key,
            owner=str(placement.entry["class_name"]), argument=key.rsplit(".", 1)[-1],
            value=_json(value), saved_by=scope_.saved_by, structure=what,
            blocked=f"holds {_json(value)}, {what} those releases do not have",
            verdict=verdict,
        )  # fmt: skip


def _values(
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


def _compile_names(
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


# --- structures and layouts ----------------------------------------------


def _is_triple(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(item, int) for item in value[1:])
    )


def _reading(known: Knowledge, read_from: str | None) -> int:
    """The releases from ``read_from`` on (a mask)."""
    if read_from is None:
        return known.every
    bound = Version.parse(read_from)
    mask = 0
    for number, text in enumerate(known.releases):
        if Version.parse(text) >= bound:
            mask |= 1 << number
    return mask


def _structures(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterator[Incompatibility]:
    """The table's structures in a model's config and compile config."""
    entry = placement.entry
    config = entry["config"]
    for key in ("input_layers", "output_layers"):
        if _is_triple(config.get(key)):
            reads = _reading(known, changes.UNWRAPPED_IO.read_from)
            verdict = _verdict(known, scope_, reads)
            if verdict is not None:
                yield Incompatibility(
                    STRUCTURE_NOT_READ.code, path=placement.path,
                    key=f"config.{key}", owner=str(entry["class_name"]),
                    argument=key, value=_json(config[key]),
                    saved_by=scope_.saved_by, port="rewrap", verdict=verdict,
                    structure=changes.UNWRAPPED_IO.what,
                )  # fmt: skip
    if _compiled_with_nadam(entry) and scope_.saved_by in known.index:
        reads = _reading(known, changes.NADAM_STATE.read_from)
        saved = known.index[str(scope_.saved_by)]
        same_side = reads if reads >> saved & 1 else known.every & ~reads
        verdict = _verdict(known, scope_, same_side)
        if verdict is not None:
            yield Incompatibility(
                STRUCTURE_NOT_READ.code, path=placement.path,
                key="compile_config.optimizer", owner="Nadam", argument=None,
                value=_json("Nadam"), saved_by=scope_.saved_by,
                blocked=f"may hold its optimizer state as {scope_.saved_by} lays "
                f"it out, which those releases do not read; {changes.NADAM_ADVICE}",
                verdict=verdict, structure=changes.NADAM_STATE.what,
                readers=", ".join(known.runs(same_side)),
            )  # fmt: skip
    yield from _compile_names(known, placement, scope_)


def _compiled_with_nadam(entry: dict[str, Any]) -> bool:
    optimizer = (entry.get("compile_config") or {}).get("optimizer")
    return (
        isinstance(optimizer, dict)
        and str(optimizer.get("class_name", "")).lower() == "nadam"
    )


def _layout(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope, layout: changes.Layout
) -> Iterator[Incompatibility]:
    """A class whose saved state older releases lay out otherwise."""
    saved = scope_.saved_by
    if saved and layout.written_from:
        try:
            if Version.parse(saved) < Version.parse(layout.written_from):
                return
        except ValueError:
            pass
    verdict = _verdict(known, scope_, _reading(known, layout.read_from))
    if verdict is not None:
        yield Incompatibility(
            STRUCTURE_NOT_READ.code, path=placement.path, key=placement.key,
            owner=layout.class_name, argument=None, value=_json(layout.class_name),
            saved_by=saved, structure=layout.what, verdict=verdict,
            blocked=f"keeps {layout.what}, which no port changes (repair "
            "copies the weights and the build config as they are)",
        )  # fmt: skip


# --- one object, and a config's ---------------------------------------------


def _object_findings(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterator[Incompatibility]:
    lookup = lookup_of(placement.entry, placement.nested)
    found, judged = _name_finding(known, placement, lookup, scope_)
    if found is not None:
        yield found
    if judged is None or (found is not None and str(found.port).startswith("name:")):
        return
    name = lookup[1]
    if name in changes.CONTAINERS:
        yield from _structures(known, placement, scope_)
        return
    layout = changes.LAYOUT_OF.get(name) if lookup[2] is None else None
    if layout is not None:
        yield from _layout(known, placement, scope_, layout)
    yield from _key_findings(known, placement, lookup, judged, scope_)
    yield from _values(known, placement, scope_)


# What ``_quiet`` finds of a kind of object: ``None``, it needs judging;
# otherwise the keys whose values a release must have in its vocabulary (an
# activation's name, a loss's reduction), to be looked at per value.
Quiet = tuple[str, ...] | None


def _quiet(entry: dict[str, Any], nested: bool, scope_: Scope) -> Quiet:
    """Whether every targeted release finds the class and takes every key,
    with nothing of the table to look at, and which keys hold a value of a
    vocabulary (worked out once per kind of object and scope)."""
    lookup = lookup_of(entry, nested)
    name = lookup[1]
    if name in changes.LAYOUT_OF or _name_verdict(lookup, scope_) is not None:
        return None
    if name in changes.CONTAINERS:  # its keys are structure: see _holds_structure
        return ()
    config = entry["config"]
    if any(_key_verdict(lookup, key, scope_) is not None for key in config):
        return None
    worded = [str(key) for key in config if str(key).endswith("activation")]
    if "reduction" in config and str(entry.get("module")) == "keras.losses":
        worded.append("reduction")
    return tuple(worded)


def _words_quiet(config: dict[str, Any], keys: tuple[str, ...], scope_: Scope) -> bool:
    """Whether every targeted release has the activations and reduction
    ``config`` names (as ``_values`` judges them)."""
    known = knowledge()
    for key in keys:
        value = config[key]
        if key == "reduction":
            works = known.reduction(value)
        elif isinstance(value, str):
            works = known.finds((ACTIVATIONS, value, ACTIVATIONS))
        else:
            continue
        if _verdict(known, scope_, works) is not None:
            return False
    return True


def _holds_structure(entry: dict[str, Any]) -> bool:
    """Whether a model holds anything to look at (a bare triple, Nadam, a
    compile config naming losses or metrics)."""
    config = entry["config"]
    if _is_triple(config.get("input_layers")) or _is_triple(
        config.get("output_layers")
    ):
        return True
    return isinstance(entry.get("compile_config"), dict)


def judge_objects(objects: Iterable[ObjectSite], scope_: Scope) -> list[JudgedObject]:
    """Every incompatibility of a config's objects with the targeted releases."""
    known = knowledge()
    judged = []
    quiet = scope_.quiet
    for site in objects:
        entry, nested = site[4], site[5]
        module, name = entry.get("module"), entry["class_name"]
        # is_keras_class, spelled out: a config holds hundreds of objects
        if type(module) is not str or not (
            module == "keras" or module.startswith("keras.")
        ):
            continue  # a class of the user's own, or named without its module
        registered = entry.get("registered_name")
        if registered is not None and registered != name:
            continue
        container = name in changes.CONTAINERS
        config = entry["config"]
        kind = (module, name, nested, *(() if container else config))
        if kind in quiet:
            worded = quiet[kind]
        else:
            worded = quiet[kind] = _quiet(entry, nested, scope_)
        if worded:  # quiet but for the values of these keys
            words = (kind, *(config[key] for key in worded))
            try:
                found = quiet[words]
            except KeyError:
                found = quiet[words] = _words_quiet(config, worded, scope_)
            except TypeError:  # a value that is no name: judged in full
                found = False
            worded = () if found else None
        if worded is not None and not (container and _holds_structure(entry)):
            continue
        placement = ObjectPlacement(*site)
        for finding in _object_findings(known, placement, scope_):
            judged.append(JudgedObject(finding, placement))
    return judged
