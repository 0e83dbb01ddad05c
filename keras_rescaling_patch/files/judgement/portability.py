"""Whether the targeted releases read every object of a config, and how.

Every serialized object a config holds (the model, its layers, their
initializers, regularizers, constraints and dtype policies, the compile
config's optimizer, schedule, losses and metrics) is judged against the
generated knowledge of each release (``knowledge.py``) and the table of
what no signature shows (``changes.py``):

- ``KRP010`` (``class_names.py``): does the release find a class under the
  module and name the file gives? A port writes another name it finds for
  the same class (``Orthogonal`` becomes ``OrthogonalInitializer`` for
  3.0-3.3), or the public module for one a release moved
  (``keras.src.layers.preprocessing.random_rotation`` becomes
  ``keras.layers``);
- ``KRP011`` (``arguments.py``): does its class take each key? A port drops
  one only where the file holds the saving release's default, or a value of
  the table that behaves as the argument's absence;
- ``KRP012`` (``structures.py``): the structures and layouts of the table;
- ``KRP013`` (``arguments.py``): values from a release's own vocabulary: an
  activation's name, a loss or metric named in the compile config, a loss's
  reduction.

Each problem is an :class:`~.findings.Incompatibility`, with a verdict (the
targeted releases that fail, the oldest that works) and its ``port``, or
why there is none, against a scope (``release_scope.py``). Answers are
worked out once per kind of object and kept: a fleet's layers are mostly
alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from keras_rescaling_patch.files.judgement import changes
from keras_rescaling_patch.files.judgement.arguments import (
    ACTIVATIONS,
    key_findings,
    value_findings,
)
from keras_rescaling_patch.files.judgement.class_names import name_finding
from keras_rescaling_patch.files.judgement.findings import (
    Incompatibility,
)
from keras_rescaling_patch.files.judgement.knowledge import (
    Knowledge,
    knowledge,
    lookup_of,
)
from keras_rescaling_patch.files.judgement.release_scope import (
    Scope,
    key_verdict,
    name_verdict,
    verdict_of,
)
from keras_rescaling_patch.files.judgement.structures import (
    holds_structure,
    layout_findings,
    structure_findings,
)
from keras_rescaling_patch.files.model.config_walk import (
    ObjectPlacement,
    ObjectSite,
)


@dataclass(frozen=True)
class JudgedObject:
    """An incompatibility and the object it was found at (for ``repair``)."""

    finding: Incompatibility
    placement: ObjectPlacement


def _object_findings(
    known: Knowledge, placement: ObjectPlacement, scope_: Scope
) -> Iterator[Incompatibility]:
    lookup = lookup_of(placement.entry, placement.nested)
    found, judged = name_finding(known, placement, lookup, scope_)
    if found is not None:
        yield found
    if judged is None or (found is not None and str(found.port).startswith("name:")):
        return
    name = lookup[1]
    if name in changes.CONTAINERS:
        yield from structure_findings(known, placement, scope_)
        return
    layout = changes.LAYOUT_OF.get(name) if lookup[2] is None else None
    if layout is not None:
        yield from layout_findings(known, placement, scope_, layout)
    yield from key_findings(known, placement, lookup, judged, scope_)
    yield from value_findings(known, placement, scope_)


# What ``_quiet`` finds of a kind of object: ``None``, it needs judging;
# otherwise the keys whose values a release must have in its vocabulary (an
# activation's name, a loss's reduction), to be looked at per value.


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
    if name in changes.LAYOUT_OF or name_verdict(lookup, scope_) is not None:
        return None
    if name in changes.CONTAINERS:  # its keys are structure: see holds_structure
        return ()
    config = entry["config"]
    if any(key_verdict(lookup, key, scope_) is not None for key in config):
        return None
    worded = [str(key) for key in config if str(key).endswith("activation")]
    if "reduction" in config and str(entry.get("module")) == "keras.losses":
        worded.append("reduction")
    return tuple(worded)


def _words_quiet(config: dict[str, Any], keys: tuple[str, ...], scope_: Scope) -> bool:
    """Whether every targeted release has the activations and reduction
    ``config`` names (as ``value_findings`` judges them)."""
    known = knowledge()
    for key in keys:
        value = config[key]
        if key == "reduction":
            works = known.reduction(value)
        elif isinstance(value, str):
            works = known.finds((ACTIVATIONS, value, ACTIVATIONS))
        else:
            continue
        if verdict_of(known, scope_, works) is not None:
            return False
    return True


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
        if worded is not None and not (container and holds_structure(entry)):
            continue
        placement = ObjectPlacement(*site)
        for finding in _object_findings(known, placement, scope_):
            judged.append(JudgedObject(finding, placement))
    return judged
