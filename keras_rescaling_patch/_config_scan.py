"""Find the array-valued ``Rescaling`` arguments in a model config.

Works on the plain JSON of a model config (``config.json`` of a ``.keras``
archive, or ``model.to_json()``), never on Keras objects: the file tools
run where Keras cannot even be imported. A finding names the layer by its
path through nested models (``outer/inner/rescaling``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from keras_rescaling_patch._restore import is_data_marker

ARGUMENTS = ("scale", "offset")


@dataclass(frozen=True)
class Finding:
    """One serialized array in a config."""

    path: str  # the layer, through nested models
    key: str  # where in that layer's entry, e.g. "config.scale"
    marker: str  # "__numpy__" or "__tensor__"
    dtype: str | None
    shape: tuple[int, ...] | None

    def as_dict(self) -> dict[str, Any]:
        report = asdict(self)
        report["shape"] = list(self.shape) if self.shape is not None else None
        return report


@dataclass(frozen=True)
class ScanResult:
    """The affected Rescaling arguments, and any other array-valued config."""

    affected: tuple[Finding, ...]
    other: tuple[Finding, ...]


def shape_of(value: object) -> tuple[int, ...]:
    """The shape of a nested list (``()`` for a number), from its first items."""
    shape: list[int] = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def _finding(path: str, key: str, marker: dict[str, Any]) -> Finding:
    inner = marker["config"]
    dtype = inner.get("dtype")
    return Finding(
        path=path,
        key=key,
        marker=marker["class_name"],
        dtype=dtype if isinstance(dtype, str) else None,
        shape=shape_of(inner.get("value")) if "value" in inner else None,
    )


def is_rescaling(entry: dict[str, Any]) -> bool:
    """A serialized ``keras.layers.Rescaling`` (not a user subclass)."""
    module = entry.get("module")
    return (
        entry.get("class_name") == "Rescaling"
        and (module is None or str(module).startswith("keras"))
        and _layer_name(entry) is not None
    )


def _layer_name(entry: dict[str, Any]) -> str | None:
    """The name of a serialized layer or model; ``None`` for anything else.

    Every layer's and model's config carries ``name`` and ``trainable``;
    other serialized objects (dtype policies, initializers) do not carry both.
    """
    config = entry.get("config")
    if not isinstance(entry.get("class_name"), str) or not isinstance(config, dict):
        return None
    name = config.get("name")
    return name if isinstance(name, str) and "trainable" in config else None


def walk(node: Any, path: str = "", key: str = "") -> Iterator[tuple[str, str, Any]]:
    """Yield ``(layer path, key within the layer, value)`` for every dict.

    Entering a serialized object that has a name (a layer or a model)
    starts a new path segment; anything else extends the key.
    """
    if isinstance(node, dict):
        name = _layer_name(node)
        if name is not None:
            path, key = f"{path}/{name}" if path else name, ""
        yield path, key, node
        for child_key, child in node.items():
            yield from walk(child, path, f"{key}.{child_key}" if key else child_key)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from walk(child, path, f"{key}[{index}]")


def scan_config(config: dict[str, Any]) -> ScanResult:
    """Every array-valued Rescaling argument, and other serialized arrays."""
    affected: list[Finding] = []
    other: list[Finding] = []
    claimed: set[int] = set()
    # walk() yields a layer before its contents, so a Rescaling's own
    # markers are claimed before the walk reaches them.
    for path, key, node in walk(config):
        if is_rescaling(node):
            for argument in ARGUMENTS:
                value = node["config"].get(argument)
                if is_data_marker(value):
                    affected.append(_finding(path, f"config.{argument}", value))
                    claimed.add(id(value))
        elif is_data_marker(node) and id(node) not in claimed:
            other.append(_finding(path, key, node))
    return ScanResult(tuple(affected), tuple(other))
