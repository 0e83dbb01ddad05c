"""Find every serialized array in a model config, and judge it.

Works on the plain JSON of a model config (``config.json`` of a ``.keras``
archive, ``model.to_json()``, the config of a legacy ``.h5``), never on
Keras objects: the file tools run where Keras cannot even be imported. One
walk, without recursion, finds each data marker and the object whose
constructor it reaches (its *owner*: the nearest enclosing serialized object
whose ``config`` holds it) and the argument it is given as; the table in
``files/model/restoration.py`` then says whether, and from which release,
Keras restores it. A marker outside every owner's ``config`` (a compile
config's own entries, a layer's call arguments) is restored by Keras itself.

An object is recognised as a Keras class by what Keras uses to deserialize
it (``module``, ``registered_name``), never by incidental keys; a finding
names the layer that holds it by its path through nested models
(``outer/inner/rescaling``) and its place within that layer's entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from keras_rescaling_patch._keras_releases import Version
from keras_rescaling_patch.files.model.json_config import MAX_NESTING
from keras_rescaling_patch.files.model.restoration import (
    DATA_MARKERS,
    NOT_RESTORED,
    RESCALING,
    UNKNOWN_CLASS,
    restored_since,
)
from keras_rescaling_patch.files.model.source import UnreadableModel
from keras_rescaling_patch.files.options import Targets

SCALARS = frozenset({int, float, bool, str, type(None)})


@dataclass(frozen=True)
class Finding:
    """One serialized array in a config, and what Keras does with it.

    ``rule``: the kind of finding (``KRP001``...), ``None`` for an array
    that Keras restores on every release. ``owner``/``argument``: the class
    it is handed to, and as which argument. ``since``: the first release that
    restores it (``None``: none does, or, without a rule, every one does).
    """

    path: str  # the layer, through nested models
    key: str  # where in that layer's entry, e.g. "config.scale"
    marker: str  # "__numpy__", "__tensor__" or "__bytes__"
    dtype: str | None
    shape: tuple[int, ...] | None
    layer_class: str | None = None  # for a suspect: the class's registered name
    # What stands where an array's values belong, when it is no array (a
    # string, say): no Keras writes that, so the file is malformed there.
    malformed: str | None = None
    rule: str | None = None
    owner: str | None = None
    argument: str | None = None
    since: str | None = None

    def fails_on(self, version: Version | str) -> bool:
        """Whether stock Keras ``version`` (``"3.4.1"``) leaves it unrestored
        (a suspect: as far as this package can tell); ``ValueError`` for
        what is not a version."""
        if not isinstance(version, Version):
            if not isinstance(version, str):
                raise ValueError(f"not a Keras version: {version!r}")
            version = Version.parse(version)
        if self.rule is None:
            return False
        return self.since is None or version < Version.parse(self.since)

    def failing(self, targets: Targets) -> tuple[str, ...]:
        """The checked releases among ``targets`` that leave it unrestored."""
        return () if self.rule is None else targets.before(self.since)

    def fails_after_checked(self, targets: Targets) -> bool:
        """Whether targeted releases after the newest checked leave it
        unrestored too: by the rule, where no release restores it."""
        return self.rule is not None and self.since is None and targets.beyond_checked

    @property
    def place(self) -> str:
        """Where it is, for people: ``kernel_constraint.axis``, ``scale``."""
        parts = [part for part in self.key.split(".") if part != "config"]
        return ".".join(parts) or self.key

    def as_dict(self) -> dict[str, Any]:
        report = asdict(self)
        report["shape"] = list(self.shape) if self.shape is not None else None
        if self.malformed is None:
            del report["malformed"]  # only where there is something to say
        report["class"] = report.pop("owner")
        since = report.pop("since")
        report["fixed_in"] = since if self.rule else None
        return report


@dataclass(frozen=True)
class Placement:
    """A judged marker, where it sits: ``container[slot]`` is the marker;
    ``owner_config`` the config of the object it reaches (for ``repair``)."""

    finding: Finding
    container: Any  # the dict or list that holds the marker
    slot: Any  # its key or index there
    marker: dict[str, Any]
    owner_config: dict[str, Any] | None


@dataclass(frozen=True)
class ScanResult:
    """Every serialized array of a config, judged."""

    placements: tuple[Placement, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(placement.finding for placement in self.placements)

    @property
    def unrestored(self) -> tuple[Placement, ...]:
        """Arrays some Keras release leaves unrestored, in a Keras class."""
        return tuple(
            p
            for p in self.placements
            if p.finding.rule in (RESCALING.code, NOT_RESTORED.code)
        )

    @property
    def suspect(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule == UNKNOWN_CLASS.code)


def is_data_marker(value: object) -> bool:
    """A serialized array, tensor, or item of a string tensor: by its
    ``class_name``, which no Keras class has, so that a marker whose
    ``config`` is no object is still found (and called malformed)."""
    return isinstance(value, Mapping) and value.get("class_name") in DATA_MARKERS


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


def _segment(entry: Mapping[str, Any]) -> str | None:
    """The path segment a serialized layer or model adds, if it is one.

    Layers and models carry ``name`` (and ``trainable``) in their config;
    other serialized objects (dtype policies, initializers) do not carry
    both. A Rescaling counts as a layer even without ``trainable``.
    """
    config = entry.get("config")
    if not isinstance(entry.get("class_name"), str) or not isinstance(config, dict):
        return None
    name = config.get("name")
    if "trainable" not in config and not is_rescaling(entry):
        return None
    return name if isinstance(name, str) else f"<{entry['class_name']}>"


# Where a marker is judged: the object it reaches (None: Keras deserializes
# it itself) and the constructor argument it is given as.
Owner = tuple[Mapping[str, Any], str] | None


def _walk(
    config: dict[str, Any],
) -> Iterator[tuple[str, str, Any, Any, dict[str, Any], Owner]]:
    """Yield ``(layer path, key, container, slot, marker, owner)`` for every
    data marker, depth first, in document order.

    No recursion, and more than ``MAX_NESTING`` levels is refused (as input a
    model config never is). The contents of markers are data, not config,
    and are not entered.
    """
    # node, layer path, key within the layer, depth, container, slot, owner
    Entry = tuple[Any, str, str, int, Any, Any, Owner]
    stack: list[Entry] = [(config, "", "", 1, None, None, None)]
    while stack:
        node, path, key, depth, container, slot, owner = stack.pop()
        if depth > MAX_NESTING:
            raise UnreadableModel(
                f"the model config nests deeper than {MAX_NESTING} levels"
            )
        if isinstance(node, dict):
            if is_data_marker(node):
                yield path, key, container, slot, node, owner
                continue
            segment = _segment(node)
            if segment is not None:
                path, key = f"{path}/{segment}" if path else segment, ""
            is_object = _is_object(node)
            children: list[Entry] = []
            for name, child in node.items():
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
        stack.extend(reversed(children))


def _judged(path: str, key: str, marker: Mapping[str, Any], owner: Owner) -> Finding:
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
    return Finding(
        path=path,
        key=key,
        marker=kind,
        dtype=dtype if isinstance(dtype, str) else None,
        shape=shape,
        malformed=malformed,
        **_verdict(owner),
    )


def _malformed(kind: str, inner: object) -> str | None:
    """What stands where a marker's values belong, if it is not what Keras
    writes there (``None``: it is)."""
    if not isinstance(inner, Mapping):
        return f"its config is a {type(inner).__name__}, not an object"
    if "value" not in inner:
        return "no value"
    value = inner["value"]
    wanted: tuple[type, ...]
    if kind == "__bytes__":
        wanted, name = (str,), "text"
    else:
        wanted, name = (list, int, float), "an array"
    if not isinstance(value, wanted):
        return f"its value is a {type(value).__name__}, not {name}"
    return None


def _verdict(owner: Owner) -> dict[str, str | None]:
    """What the table says of a marker given to ``owner``: the fields of a
    :class:`Finding` beyond where the marker is and what it holds."""
    if owner is None or owner[1] == "":  # restored by Keras itself
        return {}
    entry, argument = owner
    owner_class = str(entry["class_name"])
    if not is_keras_class(entry):
        named = entry.get("registered_name") or owner_class
        return {
            "rule": UNKNOWN_CLASS.code, "owner": owner_class,
            "argument": argument, "layer_class": str(named),
        }  # fmt: skip
    ever, since = restored_since(owner_class, argument)
    if ever and since is None:
        return {"owner": owner_class, "argument": argument}
    rule = RESCALING if is_rescaling(entry) else NOT_RESTORED
    return {
        "rule": rule.code,
        "owner": owner_class,
        "argument": argument,
        "since": since,
    }


def scan_config(config: dict[str, Any]) -> ScanResult:
    """Every serialized array of ``config``, judged, in document order."""
    placements = []
    for path, key, container, slot, marker, owner in _walk(config):
        finding = _judged(path, key, marker, owner)
        owner_config = owner[0]["config"] if owner is not None else None
        placements.append(Placement(finding, container, slot, marker, owner_config))
    return ScanResult(tuple(placements))
