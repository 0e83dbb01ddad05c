"""Find every serialized array in a model config, and where it goes.

Works on the plain JSON of a model config (``config.json`` of a ``.keras``
archive, ``model.to_json()``, the config of a legacy ``.h5``), never on
Keras objects: the file tools run where Keras cannot even be imported. One
walk, without recursion, finds each data marker and the object whose
constructor it reaches (its *owner*: the nearest enclosing serialized object
whose ``config`` holds it) and the argument it is given as. A marker outside
every owner's ``config`` (a compile config's own entries, a layer's call
arguments) is deserialized by Keras itself: its owner is ``None``.

This is the format's part: where things are and what they hold. Whether a
release restores what it finds is the judgement's (``files/judgement/``).

An object is recognised as a Keras class by what Keras uses to deserialize
it (``module``, ``registered_name``), never by incidental keys; a placement
names the layer that holds it by its path through nested models
(``outer/inner/rescaling``) and its place within that layer's entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from keras_rescaling_patch._markers import DATA_MARKERS as ARRAY_MARKERS
from keras_rescaling_patch.files.model.json_config import MAX_NESTING
from keras_rescaling_patch.files.model.source import UnreadableModel

# The arrays and tensors the shim restores too, and a string tensor's items.
DATA_MARKERS = ARRAY_MARKERS | {"__bytes__"}
SCALARS = frozenset({int, float, bool, str, type(None)})


@dataclass(frozen=True)
class MarkerFacts:
    """What a marker holds, as far as its format says: ``kind`` (``__numpy__``,
    ``__tensor__`` or ``__bytes__``), its ``dtype`` and ``shape``, or, where
    what stands in it is no array (a string, ragged lists), ``malformed``
    says what it is: no Keras writes that."""

    kind: str
    dtype: str | None
    shape: tuple[int, ...] | None
    malformed: str | None = None


@dataclass(frozen=True)
class Placement:
    """A marker, where it sits: ``container[slot]`` is ``marker``, in the
    layer at ``path``, at ``key`` within that layer's entry. ``owner``: the
    serialized object whose constructor receives it, as ``argument``
    (``None``: Keras deserializes it itself)."""

    path: str  # the layer, through nested models
    key: str  # where in that layer's entry, e.g. "config.scale"
    container: Any  # the dict or list that holds the marker
    slot: Any  # its key or index there
    marker: dict[str, Any]
    facts: MarkerFacts
    owner: Mapping[str, Any] | None = None
    argument: str | None = None

    @property
    def owner_config(self) -> dict[str, Any] | None:
        """The config of the object the marker reaches (``repair`` reads
        its dtype policy)."""
        return None if self.owner is None else self.owner["config"]

    @property
    def place(self) -> str:
        """Where it is, for people: ``kernel_constraint.axis``, ``scale``."""
        return place_of(self.key)


def place_of(key: str) -> str:
    """``kernel_constraint.axis`` for ``config.kernel_constraint.config.axis``."""
    parts = [part for part in key.split(".") if part != "config"]
    return ".".join(parts) or key


def replace(placement: Placement, value: Any) -> None:
    """Put ``value`` where the marker was, in the parsed config."""
    placement.container[placement.slot] = value


def shape_of(value: object) -> tuple[int, ...] | None:
    """The shape of a nested list (``()`` for a number); ``None`` for a
    ragged one, whose lists of one level differ in length or depth."""
    level = [value]
    shape: list[int] = []
    while True:
        lists = [item for item in level if isinstance(item, list)]
        if not lists:
            return tuple(shape)
        if len(lists) != len(level) or len({len(item) for item in lists}) != 1:
            return None
        shape.append(len(lists[0]))
        level = [item for inner in lists for item in inner]


def is_keras_module(module: object) -> bool:
    """``keras`` itself or one of its submodules; not ``keras_hub``, ``keras_cv``."""
    return module is None or (
        isinstance(module, str) and (module == "keras" or module.startswith("keras."))
    )


def _is_object(entry: Mapping[str, Any]) -> bool:
    """A serialized object whose config reaches a constructor."""
    return (
        isinstance(entry.get("class_name"), str)
        and isinstance(entry.get("config"), dict)
        and not str(entry["class_name"]).startswith("__")
    )


def is_keras_class(entry: Mapping[str, Any]) -> bool:
    """A class of Keras itself (not a registered subclass, not keras_hub)."""
    return is_keras_module(entry.get("module")) and entry.get("registered_name") in (
        None,
        entry.get("class_name"),
    )


def is_rescaling(entry: Mapping[str, Any]) -> bool:
    """A serialized ``keras.layers.Rescaling`` (not a registered subclass)."""
    return (
        entry.get("class_name") == "Rescaling"
        and _is_object(entry)
        and is_keras_class(entry)
    )


# Where a marker is judged: the object it reaches (None: Keras deserializes
# it itself) and the constructor argument it is given as.
Owner = tuple[Mapping[str, Any], str] | None


def _walk(
    config: dict[str, Any], found: list[Placement], objects: list[ObjectSite]
) -> None:
    """Append to ``found`` every data marker and to ``objects`` every
    serialized object of ``config``, depth first, in document order.

    No recursion, and more than ``MAX_NESTING`` levels is refused (as input a
    model config never is). The contents of markers are data, not config,
    and are not entered. A marker is known by its ``class_name``, which no
    Keras class has, so that one whose ``config`` is no object is still found
    (and called malformed). Layers and models carry ``name`` and
    ``trainable`` in their config, and add a segment to the layer path; other
    objects (dtype policies, initializers) do not carry both; a Rescaling
    counts as a layer even without ``trainable``. A config holds hundreds of
    objects and a fleet thousands of configs: these checks are spelled out
    here, and nothing is a generator.
    """
    # node, layer path, key within the layer, depth, container, slot, owner
    Entry = tuple[Any, str, str, int, Any, Any, Owner]
    stack: list[Entry] = [(config, "", "", 1, None, None, None)]
    pop, extend = stack.pop, stack.extend
    while stack:
        node, path, key, depth, container, slot, owner = pop()
        if depth > MAX_NESTING:
            raise UnreadableModel(
                f"the model config nests deeper than {MAX_NESTING} levels"
            )
        if type(node) is dict or isinstance(node, dict):
            class_name = node.get("class_name")  # any JSON value: a list, a dict
            if type(class_name) is str and class_name in DATA_MARKERS:
                entry, argument = owner if owner and owner[1] else (None, None)
                found.append(
                    Placement(
                        path, key, container, slot, node, marker_facts(node),
                        entry, argument,
                    )
                )  # fmt: skip
                continue
            inner_config = node.get("config")
            is_object = False
            if type(class_name) is str and isinstance(inner_config, dict):
                if "trainable" in inner_config or is_rescaling(node):  # a layer
                    name = inner_config.get("name")
                    segment = name if type(name) is str else f"<{class_name}>"
                    path, key = f"{path}/{segment}" if path else segment, ""
                if not class_name.startswith("__"):
                    is_object = True
                    objects.append(
                        (path, key, container, slot, node, owner is not None)
                    )
            children: list[Entry] = []
            for name, child in node.items():
                if type(child) is not dict and type(child) is not list:
                    if not isinstance(child, (dict, list)):
                        continue
                inner = f"{key}.{name}" if key else str(name)
                if is_object:  # its config reaches its constructor; the rest, not
                    below: Owner = (node, "") if name == "config" else None
                elif owner is not None and owner[1] == "":
                    below = (owner[0], str(name))  # an argument of the owner
                else:
                    below = owner
                children.append((child, path, inner, depth + 1, node, name, below))
        elif SCALARS.issuperset(map(type, node)):
            continue  # numbers or strings only: nothing to enter (at C speed)
        else:
            children = [
                (child, path, f"{key}[{index}]", depth + 1, node, index, owner)
                for index, child in enumerate(node)
                if isinstance(child, (dict, list))
            ]
        extend(reversed(children))


def marker_facts(marker: Mapping[str, Any]) -> MarkerFacts:
    """What a marker holds: its kind, dtype and shape, or what is wrong."""
    kind = str(marker["class_name"])
    inner = marker.get("config")
    inner = inner if isinstance(inner, Mapping) else {}
    malformed = _malformed(kind, marker.get("config"))
    dtype = "bytes" if kind == "__bytes__" else inner.get("dtype")
    shape = None
    if malformed is None:
        shape = () if kind == "__bytes__" else shape_of(inner["value"])
        if shape is None:
            malformed = "ragged lists, not an array"
    return MarkerFacts(
        kind, dtype if isinstance(dtype, str) else None, shape, malformed
    )


def _malformed(kind: str, inner: object) -> str | None:
    """What stands where a marker's values belong, if it is not what Keras
    writes there (``None``: it is)."""
    if not isinstance(inner, Mapping):
        return f"its config is a {type(inner).__name__}, not an object"
    if "value" not in inner:
        return "no value"
    dtype = inner.get("dtype")
    if dtype is not None and not isinstance(dtype, str):
        return f"its dtype is a {type(dtype).__name__}, not a name"
    value = inner["value"]
    wanted: tuple[type, ...]
    if kind == "__bytes__":
        wanted, name = (str,), "text"
    else:
        wanted, name = (list, int, float), "an array"
    if not isinstance(value, wanted):
        return f"its value is a {type(value).__name__}, not {name}"
    return None


class ObjectPlacement(NamedTuple):
    """A serialized object (a layer, a model, an initializer, an optimizer...),
    where it sits: ``container[slot]`` is ``entry``, in the layer at ``path``,
    at ``key`` within that layer's entry (``""``: the layer itself).
    ``nested``: it is given to another object's constructor (an initializer
    in a layer's config), so Keras finds its class in its family's table of
    names; otherwise (a layer, a model, a compile config's entries) by
    importing its module."""

    path: str
    key: str
    container: Any
    slot: Any
    entry: dict[str, Any]
    nested: bool

    @property
    def place(self) -> str:
        """Where it is, for people: ``kernel_initializer``, or ``""``.
        (A named tuple, not a dataclass: a config holds hundreds of objects,
        and a tuple is made several times faster.)"""
        return place_of(self.key) if self.key else ""


# An object's site as the walk finds it, the fields of an ObjectPlacement:
# hundreds per config, so a plain tuple until something is found there.
ObjectSite = tuple[str, str, Any, Any, dict[str, Any], bool]


@dataclass(frozen=True)
class Walked:
    """What one walk of a config found: serialized arrays and objects."""

    placements: tuple[Placement, ...]
    objects: tuple[ObjectSite, ...]


def walk(config: dict[str, Any]) -> Walked:
    """Every serialized array and object of ``config``, in document order."""
    found: list[Placement] = []
    objects: list[ObjectSite] = []
    _walk(config, found, objects)
    return Walked(tuple(found), tuple(objects))


def placements(config: dict[str, Any]) -> tuple[Placement, ...]:
    """Every serialized array of ``config``, in document order."""
    return walk(config).placements


def drop_key(entry: dict[str, Any], key: str) -> None:
    """Take ``key`` out of a serialized object's config."""
    del entry["config"][key]


def rename(entry: dict[str, Any], module: str | None, name: str) -> None:
    """Give a serialized object another class name (and ``module``, unless
    ``None``); a registered name that was the old class name follows it."""
    if entry.get("registered_name") == entry["class_name"]:
        entry["registered_name"] = None if module else name
    entry["class_name"] = name
    if module is not None:
        entry["module"] = module


def wrap(entry: dict[str, Any], key: str) -> None:
    """Put the value of a config key in a list of one."""
    entry["config"][key] = [entry["config"][key]]


def put(placement: ObjectPlacement, value: Any) -> None:
    """Put ``value`` where the object was, in the parsed config."""
    placement.container[placement.slot] = value
