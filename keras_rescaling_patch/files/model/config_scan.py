"""Find the array-valued ``Rescaling`` arguments in a model config.

Works on the plain JSON of a model config (``config.json`` of a ``.keras``
archive, or ``model.to_json()``), never on Keras objects: the file tools
run where Keras cannot even be imported. One walk, without recursion,
finds everything both ``scan`` and ``repair`` need: each affected
argument (with the layer config that holds it, for ``repair`` to rewrite)
and, for information, every other serialized array.

A layer is recognised as ``keras.layers.Rescaling`` by what Keras itself
uses to deserialize it (``class_name``, ``module``, ``registered_name``),
never by incidental keys; a finding names the layer by its path through
nested models (``outer/inner/rescaling``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from keras_rescaling_patch._markers import is_data_marker
from keras_rescaling_patch.files.model.json_config import MAX_NESTING
from keras_rescaling_patch.files.model.source import UnreadableModel

ARGUMENTS = ("scale", "offset")
SCALARS = frozenset({int, float, bool, str, type(None)})


@dataclass(frozen=True)
class Finding:
    """One serialized array in a config."""

    path: str  # the layer, through nested models
    key: str  # where in that layer's entry, e.g. "config.scale"
    marker: str  # "__numpy__" or "__tensor__"
    dtype: str | None
    shape: tuple[int, ...] | None
    layer_class: str | None = None  # for a suspect: the layer's registered name
    # What stands where an array's values belong, when it is no array (a
    # string, say): no Keras writes that, so the file is malformed there.
    malformed: str | None = None

    def as_dict(self) -> dict[str, Any]:
        report = asdict(self)
        report["shape"] = list(self.shape) if self.shape is not None else None
        if self.malformed is None:
            del report["malformed"]  # only where there is something to say
        return report


@dataclass(frozen=True)
class AffectedArgument:
    """A Rescaling ``scale`` or ``offset`` held as a marker, where it sits."""

    finding: Finding
    argument: str  # "scale" or "offset"
    layer_config: dict[str, Any]  # the layer's "config", to rewrite in place
    marker: dict[str, Any]


@dataclass(frozen=True)
class ScanResult:
    """The affected Rescaling arguments, and any other array-valued config.

    ``suspect``: ``scale`` or ``offset`` held as a marker by a layer of
    another class (a registered ``Rescaling`` subclass, a ``keras_hub``
    layer): stock Keras 3.0-3.4 hands that layer the marker unchanged too,
    so it fails there unless the layer's own code restores the array;
    ``repair`` cannot vouch for code it does not know.
    """

    arguments: tuple[AffectedArgument, ...]
    other: tuple[Finding, ...]
    suspect: tuple[Finding, ...] = ()

    @property
    def affected(self) -> tuple[Finding, ...]:
        return tuple(argument.finding for argument in self.arguments)


def shape_of(value: object) -> tuple[int, ...]:
    """The shape of a nested list (``()`` for a number), from its first items."""
    shape: list[int] = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def is_keras_module(module: object) -> bool:
    """``keras`` itself or one of its submodules; not ``keras_hub``, ``keras_cv``."""
    return module is None or (
        isinstance(module, str) and (module == "keras" or module.startswith("keras."))
    )


def is_rescaling(entry: Mapping[str, Any]) -> bool:
    """A serialized ``keras.layers.Rescaling`` (not a registered subclass)."""
    return (
        entry.get("class_name") == "Rescaling"
        and is_keras_module(entry.get("module"))
        and entry.get("registered_name") in (None, "Rescaling")
        and isinstance(entry.get("config"), dict)
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


def _finding(path: str, key: str, marker: Mapping[str, Any]) -> Finding:
    inner = marker["config"]
    dtype = inner.get("dtype")
    value = inner.get("value")
    malformed = None
    if "value" not in inner:
        malformed = "no value"
    elif not isinstance(value, (list, int, float)):
        malformed = f"its value is a {type(value).__name__}, not an array"
    return Finding(
        path=path,
        key=key,
        marker=str(marker["class_name"]),
        dtype=dtype if isinstance(dtype, str) else None,
        shape=shape_of(value) if malformed is None else None,
        malformed=malformed,
    )


def _walk(config: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(layer path, key within the layer, dict)`` for every dict.

    Depth first, in document order, a layer before its contents; no
    recursion, and more than ``MAX_NESTING`` levels is refused (as input a
    model config never is). The contents of data markers are data, not
    config, and are not entered.
    """
    Entry = tuple[Any, str, str, int]  # node, layer path, key, depth
    stack: list[Entry] = [(config, "", "", 1)]
    while stack:
        node, path, key, depth = stack.pop()
        if depth > MAX_NESTING:
            raise UnreadableModel(
                f"the model config nests deeper than {MAX_NESTING} levels"
            )
        if isinstance(node, dict):
            segment = _segment(node)
            if segment is not None:
                path, key = f"{path}/{segment}" if path else segment, ""
            yield path, key, node
            if is_data_marker(node):
                continue
            children: list[Entry] = [
                (child, path, f"{key}.{name}" if key else str(name), depth + 1)
                for name, child in node.items()
                if isinstance(child, (dict, list))
            ]
        elif SCALARS.issuperset(map(type, node)):
            continue  # numbers or strings only: nothing to enter (at C speed)
        else:
            children = [
                (child, path, f"{key}[{index}]", depth + 1)
                for index, child in enumerate(node)
                if isinstance(child, (dict, list))
            ]
        stack.extend(reversed(children))


def scan_config(config: dict[str, Any]) -> ScanResult:
    """Every array-valued Rescaling argument, and other serialized arrays."""
    arguments: list[AffectedArgument] = []
    suspect: list[Finding] = []
    other: list[Finding] = []
    claimed: set[int] = set()
    # _walk() yields a layer before its contents, so a layer's own markers
    # are claimed before the walk reaches them.
    for path, key, node in _walk(config):
        rescaling = is_rescaling(node)
        if rescaling or _segment(node) is not None:
            layer_config = node["config"]
            for argument in ARGUMENTS:
                value = layer_config.get(argument)
                if not is_data_marker(value):
                    continue
                finding = _finding(path, f"config.{argument}", value)
                if rescaling:
                    arguments.append(
                        AffectedArgument(finding, argument, layer_config, value)
                    )
                else:
                    named = node.get("registered_name") or node["class_name"]
                    suspect.append(replace(finding, layer_class=str(named)))
                claimed.add(id(value))
        elif is_data_marker(node) and id(node) not in claimed:
            other.append(_finding(path, key, node))
    return ScanResult(tuple(arguments), tuple(other), tuple(suspect))
