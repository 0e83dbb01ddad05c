"""Whether a targeted release can read every object of a config, and how a
file is ported down to one that cannot.

Every serialized object a config holds (the model, its layers, their
initializers, regularizers, constraints and dtype policies, the compile
config's optimizer, schedule, losses and metrics) is judged against the
generated knowledge of each release (``knowledge.py``): does the release
find a class under the name the file gives, and does that class take each
key of the object's config? What no signature shows is the short table
below, each entry with its evidence; ``tests/test_differential_portability.py``
shows each is needed, against stock Keras.

Each problem is an :class:`~.findings.Incompatibility` whose verdict names
the targeted releases that fail and the oldest release that works, and
whose ``port`` says what ``repair --target-keras`` writes instead:

- an argument the target lacks is dropped only where the file holds the
  default of the release that saved it (what makes the newer release behave
  as the older one does); any other value blocks the port;
- a class name the target does not find is replaced by a name it finds for
  the same class (one both releases list for it: ``Orthogonal`` becomes
  ``OrthogonalInitializer`` for 3.0-3.3);
- the structures of the table are rewritten where the table says how.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from keras_rescaling_patch._keras_releases import Version
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
)
from keras_rescaling_patch.files.model.config_walk import (
    ObjectPlacement,
    ObjectSite,
    drop_key,
    is_keras_class,
    put,
    rename,
    wrap,
)
from keras_rescaling_patch.files.options import Targets
from keras_rescaling_patch.files.problems import FileProblem


@dataclass(frozen=True)
class Structure:
    """A change between releases that no signature shows, with its evidence:
    releases from ``read_from`` on (up to ``read_until``, exclusive) read it."""

    name: str
    what: str
    read_from: str | None
    read_until: str | None
    evidence: str


UNWRAPPED_IO = Structure(
    "unwrapped-io",
    "a single input or output written as one [layer, node, tensor] triple",
    "3.4.0",
    None,
    "From 3.11.0 a Functional model with one input or output writes it as a "
    "bare triple, not a list of one; functional_from_config reads a bare "
    "triple from 3.4.0 on (map_tensors' leaf case) and older releases pass "
    "its items to get_tensor ('takes 3 positional arguments but 14 were "
    "given'). A list of one is what those releases wrote themselves.",
)
NADAM_STATE = Structure(
    "nadam-state",
    "Nadam's optimizer state, laid out as the saving release lays it out",
    "3.10.0",
    None,
    "Nadam.build creates its u_product variable before the momentums and "
    "velocities up to 3.9.2, after them from 3.10.0: a file that holds Nadam "
    "state from one side does not load on the other ('The shape of the "
    "target variable and the shape of the target value in variable.assign(value) "
    "must match'). The state is in model.weights.h5, which repair copies as "
    "it is: load with compile=False and compile again instead.",
)


@dataclass(frozen=True)
class Layout:
    """A class whose saved state (weights, build config) changed layout: a
    file saved from ``written_from`` on (any, for ``None``) is read only by
    releases from ``read_from`` on. Repair copies model.weights.h5 as it is,
    so these are never ported."""

    class_name: str
    written_from: str | None
    read_from: str
    what: str
    evidence: str


LAYOUTS = (
    Layout(
        "MultiHeadAttention",
        "3.0.3",
        "3.0.3",
        "its weights, tracked as 3.0.3 and later track its sublayers",
        "multi_head_attention.py changed at 3.0.3; files of 3.7-3.15 load on "
        "3.0.5 and fail on 3.0.0 and 3.0.2 ('Layer 'key' expected 2 variables, "
        "but received 0 variables during loading').",
    ),
    Layout(
        "Bidirectional",
        "3.3.3",
        "3.3.3",
        "its weights, tracked as 3.3.3 and later track them (it is no longer "
        "a Wrapper)",
        "bidirectional.py changed its base class at 3.3.3; files of 3.7-3.15 "
        "load on 3.3.3 and fail on 3.0.0-3.3.0 ('A total of 1 objects could "
        "not be loaded ... LSTMCell').",
    ),
    Layout(
        "Dot",
        None,
        "3.2.0",
        "its build config, whose shapes releases before 3.2.0 cannot rebuild it from",
        "dot.py changed at 3.2.0; files of 3.7-3.15 load on 3.2.1 and fail on "
        "3.0.0-3.1.1 ('A Dot layer should be called on a list of 2 inputs').",
    ),
)
LAYOUT_OF = {layout.class_name: layout for layout in LAYOUTS}
# A layer's dtype: every release's Layer takes a dtype policy's name, and a
# plain policy's name says all it holds.
PLAIN_POLICIES = frozenset({"DTypePolicy", "FloatDTypePolicy"})
STRUCTURES = (UNWRAPPED_IO, NADAM_STATE)
NADAM_ADVICE = (
    "load it with compile=False and compile it again (the optimizer state is "
    "lost), or on a release on the same side of 3.10.0"
)
# Classes whose config is a structure their from_config builds, not
# arguments: judged by the table, not by signatures.
CONTAINERS = frozenset({"Functional", "Sequential", "Model"})


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
    ``quiet``: the kinds of object (module, name, nested, keys) already found
    to be read by every targeted release, for this scope."""

    mask: int
    later: bool
    saved_by: str | None
    quiet: dict[tuple[Any, ...], bool] = field(
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
    oldest = (works & -works).bit_length() - 1 if works else -1
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


def _saved_index(known: Knowledge, saved_by: str | None) -> int | None:
    return known.index.get(saved_by) if saved_by else None


def _same_class_names(known: Knowledge, lookup: Lookup, saved: int | None) -> list[str]:
    """The names the saving release (or, unknown, the newest that finds it)
    finds the class of ``lookup`` under: Keras's own aliases for it."""
    releases = [saved] if saved is not None else []
    releases += list(reversed(range(len(known.releases))))
    for release in releases:
        number = known.found(lookup, release)
        if number is None:
            by_module = (lookup[0], lookup[1], None)
            number = known.found(by_module, release)
            if number is not None:
                return [lookup[1], known.class_name(number)]
        if number is not None:
            return [lookup[1], *known.names_for(lookup, number, release)]
    return []


def _rename(known: Knowledge, lookup: Lookup, scope_: Scope) -> str | None:
    """A name every targeted release finds for the same class, if one is."""
    saved = _saved_index(known, scope_.saved_by)
    aliases = _same_class_names(known, lookup, saved)
    needed = scope_.mask | (1 << (len(known.releases) - 1) if scope_.later else 0)
    candidates = []
    for name in dict.fromkeys(aliases):
        other = (lookup[0], name, lookup[2])
        if known.finds(other) & needed == needed:
            candidates.append(name)
    if not candidates:
        return None
    # The target's own class name where it is one; then names in CapWords.
    return sorted(candidates, key=lambda n: (not n[:1].isupper(), n != aliases[-1], n))[
        0
    ]


def _object_findings(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterable[Incompatibility]:
    entry = placement.entry
    lookup = lookup_of(entry, placement.nested)
    name = lookup[1]
    verdict = _name_verdict(lookup, scope_)
    judged = lookup
    if verdict is not None:
        renamed = _rename(known, lookup, scope_)
        port, blocked = None, None
        if renamed is not None:
            port = f"rename:{renamed}"
            judged = (lookup[0], renamed, lookup[2])
        elif name in PLAIN_POLICIES and _policy_name(entry) is not None:
            port = f"name:{_policy_name(entry)}"
        else:
            blocked = "is a class no targeted release has (under any name)"
        yield Incompatibility(
            CLASS_NOT_FOUND.code, path=placement.path, key=placement.key,
            owner=name, argument=None, value=_json(name),
            saved_by=scope_.saved_by, port=port, blocked=blocked, verdict=verdict,
        )  # fmt: skip
        if port is None or port.startswith("name:"):
            return
    if name in CONTAINERS:
        yield from _structures(known, placement, scope_)
        return
    layout = LAYOUT_OF.get(name) if not placement.nested else None
    if layout is not None:
        yield from _layout(known, placement, scope_, layout)
    saved = _saved_index(known, scope_.saved_by)
    for key, value in entry["config"].items():
        verdict = _key_verdict(judged, key, scope_)
        if verdict is None:
            continue
        default = _default(known, lookup, key, saved)
        port, blocked = None, None
        if default is not None and _json(default[0], 10**6) == _json(value, 10**6):
            port = "drop"
        else:
            blocked = f"holds {_json(value)}, not the default" + (
                f" {_json(default[0])}" if default is not None else ""
            )
        yield Incompatibility(
            ARGUMENT_NOT_TAKEN.code, path=placement.path,
            key=f"{placement.key}.config.{key}".lstrip("."), owner=name,
            argument=str(key), value=_json(value),
            default=None if default is None else _json(default[0]),
            saved_by=scope_.saved_by, port=port, blocked=blocked, verdict=verdict,
        )  # fmt: skip


@lru_cache(maxsize=1 << 16)
def _name_verdict(lookup: Lookup, scope_: Scope) -> Verdict | None:
    """The verdict on finding a class by ``lookup`` (once per value: a fleet
    of files names the same classes again and again)."""
    known = knowledge()
    return _verdict(known, scope_, known.finds(lookup))


@lru_cache(maxsize=1 << 16)
def _key_verdict(lookup: Lookup, key: str, scope_: Scope) -> Verdict | None:
    """The verdict on a config key of the class found by ``lookup``, asked of
    the releases that find the class (once per value)."""
    known = knowledge()
    return _verdict(known, scope_, known.takes(lookup, key), known.finds(lookup))


def clear_caches() -> None:
    """Forget every answer worked out (for tests that change the knowledge)."""
    known = knowledge()
    caches = (known.finds, known.takes, scope, _name_verdict, _key_verdict)
    for cached in caches:
        cached.cache_clear()


def _default(
    known: Knowledge, lookup: Lookup, key: str, saved: int | None
) -> list[Any] | None:
    """``[default]`` of ``key`` in the saving release (unknown: the newest
    release that has the argument, where every such release agrees)."""
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


def _policy_name(entry: dict[str, Any]) -> str | None:
    config = entry.get("config")
    if isinstance(config, dict) and set(config) == {"name"}:
        name = config["name"]
        if isinstance(name, str) and "_from_" not in name:
            return name
    return None


def _is_triple(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(item, int) for item in value[1:])
    )


def _reading(known: Knowledge, structure: Structure) -> int:
    """The releases that read a structure of the table (a mask)."""
    mask = 0
    for number, text in enumerate(known.releases):
        version = Version.parse(text)
        if structure.read_from and version < Version.parse(structure.read_from):
            continue
        if structure.read_until and version >= Version.parse(structure.read_until):
            continue
        mask |= 1 << number
    return mask


def _structures(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterable[Incompatibility]:
    """The table's structures in a model's config and compile config."""
    entry = placement.entry
    config = entry["config"]
    for key in ("input_layers", "output_layers"):
        if _is_triple(config.get(key)):
            verdict = _verdict(known, scope_, _reading(known, UNWRAPPED_IO))
            if verdict is not None:
                yield Incompatibility(
                    STRUCTURE_NOT_READ.code, path=placement.path,
                    key=f"config.{key}", owner=str(entry["class_name"]),
                    argument=key, value=_json(config[key]),
                    saved_by=scope_.saved_by, port="rewrap", verdict=verdict,
                    structure=UNWRAPPED_IO.what,
                )  # fmt: skip
    optimizer = (entry.get("compile_config") or {}).get("optimizer")
    if (
        isinstance(optimizer, dict)
        and str(optimizer.get("class_name", "")).lower() == "nadam"
        and scope_.saved_by in known.index
    ):
        reads = _reading(known, NADAM_STATE)
        saved = known.index[scope_.saved_by]
        same_side = reads if reads >> saved & 1 else known.every & ~reads
        verdict = _verdict(known, scope_, same_side)
        if verdict is not None:
            yield Incompatibility(
                STRUCTURE_NOT_READ.code, path=placement.path,
                key="compile_config.optimizer", owner="Nadam", argument=None,
                value=_json("Nadam"), saved_by=scope_.saved_by,
                blocked=f"may hold its optimizer state as {scope_.saved_by} lays "
                f"it out, which those releases do not read; {NADAM_ADVICE}",
                verdict=verdict, structure=NADAM_STATE.what,
            )  # fmt: skip


def _layout(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope, layout: Layout
) -> Iterable[Incompatibility]:
    """A class whose saved state older releases lay out otherwise."""
    saved = scope_.saved_by
    if saved and layout.written_from:
        try:
            if Version.parse(saved) < Version.parse(layout.written_from):
                return
        except ValueError:
            pass
    reads = _reading(
        known, Structure(layout.class_name, "", layout.read_from, None, "")
    )
    verdict = _verdict(known, scope_, reads)
    if verdict is not None:
        yield Incompatibility(
            STRUCTURE_NOT_READ.code, path=placement.path, key=placement.key,
            owner=layout.class_name, argument=None, value=_json(layout.class_name),
            saved_by=saved, structure=layout.what, verdict=verdict,
            blocked=f"keeps {layout.what}, which no port changes (repair "
            "copies the weights and the build config as they are)",
        )  # fmt: skip


def judge_objects(objects: Iterable[ObjectSite], scope_: Scope) -> list[JudgedObject]:
    """Every incompatibility of a config's objects with the targeted releases."""
    known = knowledge()
    judged = []
    quiet = scope_.quiet
    for site in objects:
        entry, nested = site[4], site[5]
        module, name = entry.get("module"), entry["class_name"]
        if type(module) is not str or not is_keras_class(entry):
            continue  # a class of the user's own, or named without its module
        container = name in CONTAINERS
        kind = (
            (module, name, nested)
            if container
            else (module, name, nested, *entry["config"])
        )
        found = quiet.get(kind)
        if found is None:
            found = quiet[kind] = _quiet(entry, nested, scope_)
        if found and not (container and _holds_structures(entry)):
            continue
        placement = ObjectPlacement(*site)
        for finding in _object_findings(known, placement, scope_):
            judged.append(JudgedObject(finding, placement))
    return judged


def _quiet(entry: dict[str, Any], nested: bool, scope_: Scope) -> bool:
    """Whether every targeted release finds the class and takes every key,
    with nothing of the table to look at (worked out once per kind of
    object and scope: a fleet's layers are mostly alike)."""
    lookup = lookup_of(entry, nested)
    if lookup[1] in LAYOUT_OF or _name_verdict(lookup, scope_) is not None:
        return False
    if lookup[1] in CONTAINERS:  # its keys are structure: see _holds_structures
        return True
    return all(_key_verdict(lookup, key, scope_) is None for key in entry["config"])


def _holds_structures(entry: dict[str, Any]) -> bool:
    """Whether a model holds anything of the table (a bare triple, Nadam)."""
    config = entry["config"]
    if _is_triple(config.get("input_layers")) or _is_triple(
        config.get("output_layers")
    ):
        return True
    optimizer = (entry.get("compile_config") or {}).get("optimizer")
    return (
        isinstance(optimizer, dict)
        and str(optimizer.get("class_name", "")).lower() == "nadam"
    )


class NotPortable(FileProblem):
    """Something a targeted release cannot represent: the message names the
    class, the key and the oldest release that loads the file."""


@dataclass(frozen=True)
class Port:
    """One change a port made, for the report: where, and what."""

    path: str
    place: str
    rule: str
    done: str  # "dropped quantization_config = null", "renamed Orthogonal to ..."


def port(
    unreadable: tuple[JudgedObject, ...], loads_from: str | None
) -> tuple[Port, ...]:
    """Rewrite every incompatibility as the table and the data say, in the
    parsed config, all or none: ``NotPortable`` names the first that cannot
    be, and then nothing is changed."""
    for judged in unreadable:
        finding = judged.finding
        if finding.port is None:
            oldest = (
                f"; the oldest release that loads it: {loads_from}"
                if loads_from
                else ""
            )
            where = f"{finding.path} {finding.place}".strip()
            raise NotPortable(f"{where}: {finding.owner} {finding.blocked}{oldest}")
    done = []
    # Drops and rewraps first: a rename or a name replaces the entry they edit.
    ordered = sorted(
        unreadable, key=lambda j: str(j.finding.port).startswith(("rename", "name"))
    )
    for judged in ordered:
        finding, placement = judged.finding, judged.placement
        kind, _, detail = str(finding.port).partition(":")
        if kind == "drop":
            drop_key(placement.entry, str(finding.argument))
            what = f"dropped {finding.argument} = {finding.value} (the default)"
        elif kind == "rename":
            rename(placement.entry, detail)
            what = f"renamed {finding.owner} to {detail}"
        elif kind == "rewrap":
            wrap(placement.entry, str(finding.argument))
            what = f"wrapped {finding.argument} in a list"
        else:  # "name": a dtype policy object, as its name
            put(placement, detail)
            what = f'wrote the {finding.owner} as its name, "{detail}"'
        done.append(Port(finding.path, finding.place, finding.rule, what))
    return tuple(done)
