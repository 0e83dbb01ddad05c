"""What each Keras 3 release accepts, as generated from its wheel.

``keras_releases.json.gz`` beside this module is written by
``scripts/keras_knowledge.py`` from every Keras 3 release on PyPI (never by
hand; ``make lint`` and CI check it is current). It is read once, the first
time a verdict needs it, never at ``import keras_rescaling_patch``. Every
fact is stored once with the releases it holds for, as a bit mask (bit
``i``: the ``i``-th release), and every question here answers with such a
mask, cached: a scan of thousands of files asks the same questions.

Questions, for an object a file names by ``module`` and ``name`` (and, for
an object given as another's argument, its ``family``, whose table of
names Keras looks it up in):

- :meth:`Knowledge.finds`: the releases that find a class under that name;
- :meth:`Knowledge.takes`: the releases whose class takes a config key
  (an argument of its constructor chain, or any key where the chain
  swallows unknown ones, or where its ``from_config`` does not hand keys to
  the constructor at all);
- :meth:`Knowledge.default`: the default a release gives an argument;
- :meth:`Knowledge.names_for`: the names a release finds a class under.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

DATA = "keras_releases.json.gz"
REQUIRED, NOT_LITERAL = 0, 1
# The public modules whose objects, given as another's argument, Keras
# looks up in the family's table of names (``ALL_OBJECTS_DICT``).
FAMILIES = frozenset(
    {
        "keras.activations",
        "keras.initializers", "keras.regularizers", "keras.constraints",
        "keras.losses", "keras.metrics", "keras.optimizers",
        "keras.optimizers.schedules", "keras.quantizers",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Signature:
    """What one release's class takes: its arguments (name -> ``[default]``,
    ``REQUIRED`` or ``NOT_LITERAL``), whether it swallows unknown keyword
    arguments, whether ``from_config`` hands the config to the constructor,
    and the keys ``from_config`` takes out first."""

    swallows: bool
    arguments: dict[str, Any]
    passes_config: bool
    popped: frozenset[str]

    def takes(self, key: str) -> bool:
        return (
            self.swallows
            or not self.passes_config
            or key in self.arguments
            or key in self.popped
        )


Lookup = tuple[str, str, str | None]  # module, name, family (None: by module)


class Knowledge:
    """The generated data, and the questions the judgement asks of it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.releases: tuple[str, ...] = tuple(data["releases"])
        self.every = (1 << len(self.releases)) - 1
        self._classes: list[str] = data["classes"]
        self._signatures = [
            Signature(bool(s[0]), s[1], bool(s[2]), frozenset(s[3]))
            for s in data["signatures"]
        ]
        self._by_class: list[list[list[int]]] = data["class_signatures"]
        self._names: dict[str, dict[str, list[list[int]]]] = data["names"]
        self._registries: dict[str, dict[str, Any]] = data["registries"]
        self._reductions: dict[str, int] = data.get("reductions", {})

    @cached_property
    def index(self) -> dict[str, int]:
        return {text: number for number, text in enumerate(self.releases)}

    def class_key(self, number: int) -> str:
        """``keras.src.layers.core.dense:Dense``: where a class is defined."""
        return self._classes[number]

    def class_name(self, number: int) -> str:
        return self._classes[number].rpartition(":")[2]

    def _table(self, lookup: Lookup, release: int) -> tuple[dict[str, Any], bool]:
        """The table a release looks ``lookup`` up in, and whether names
        are looked up in lower case there."""
        module, _, family = lookup
        if family is not None:
            registry = self._registries.get(family)
            if registry is not None and registry["present"] >> release & 1:
                return registry["names"], bool(registry["lower"] >> release & 1)
        return self._names.get(module, {}), False

    def found(self, lookup: Lookup, release: int) -> int | None:
        """The class a release finds for ``lookup``, or ``None``."""
        table, lower = self._table(lookup, release)
        name = lookup[1].lower() if lower else lookup[1]
        for mask, number in table.get(name, ()):
            if mask >> release & 1:
                return int(number)
        return None

    def signature(self, number: int, release: int) -> Signature | None:
        for mask, signature in self._by_class[number]:
            if mask >> release & 1:
                return self._signatures[signature]
        return None

    @cache  # noqa: B019 - one Knowledge per process, kept for its life
    def finds(self, lookup: Lookup) -> int:
        """The releases that find a class for ``lookup`` (a mask)."""
        mask = 0
        for release in range(len(self.releases)):
            if self.found(lookup, release) is not None:
                mask |= 1 << release
        return mask

    @cache  # noqa: B019
    def takes(self, lookup: Lookup, key: str) -> int:
        """The releases whose class for ``lookup`` takes ``key`` (a mask;
        releases that do not find the class are not in it)."""
        mask = 0
        for release in range(len(self.releases)):
            number = self.found(lookup, release)
            if number is None:
                continue
            signature = self.signature(number, release)
            if signature is None or signature.takes(key):
                mask |= 1 << release
        return mask

    def default(self, lookup: Lookup, key: str, release: int) -> Any:
        """The default ``release`` gives ``key``: ``[value]``, ``REQUIRED``,
        ``NOT_LITERAL``, or ``None`` where it has no such argument."""
        number = self.found(lookup, release)
        signature = None if number is None else self.signature(number, release)
        return None if signature is None else signature.arguments.get(key)

    def names_for(self, lookup: Lookup, number: int, release: int) -> list[str]:
        """The names ``release`` finds class ``number`` under, in ``lookup``'s
        table."""
        table, _ = self._table(lookup, release)
        return sorted(
            name
            for name, entries in table.items()
            if any(n == number and m >> release & 1 for m, n in entries)
        )

    def public_names(self, module: str, family: str | None) -> list[str]:
        """Every name any release finds in a module (or its family's table)."""
        names = set(self._names.get(module, {}))
        if family is not None and family in self._registries:
            names |= set(self._registries[family]["names"])
        return sorted(names)

    def exports_of(self, number: int, release: int) -> list[tuple[str, str]]:
        """``(module, name)``: where the public modules of ``release`` give
        class ``number`` (``keras.layers``, ``RandomRotation``)."""
        found = []
        for module, table in self._names.items():
            if module.startswith("keras.src."):
                continue
            for name, entries in table.items():
                if any(n == number and m >> release & 1 for m, n in entries):
                    found.append((module, name))
        return sorted(found)

    def runs(self, mask: int) -> list[str]:
        """The releases of ``mask`` as runs of neighbours, oldest first:
        ``["3.0.0-3.3.3", "3.5.0"]``."""
        found: list[list[str]] = []
        last = -2
        for number, text in enumerate(self.releases):
            if mask >> number & 1:
                if number == last + 1:
                    found[-1].append(text)
                else:
                    found.append([text])
                last = number
        return [r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in found]

    def reduction(self, value: object) -> int:
        """The releases whose losses take ``value`` as their reduction."""
        return int(self._reductions.get(json.dumps(value), 0))

    def numbers_named(self, lookup: Lookup, names: list[str], release: int) -> set[int]:
        """The classes ``release`` finds under any of ``names``."""
        table, lower = self._table(lookup, release)
        found = set()
        for name in names:
            for mask, number in table.get(name.lower() if lower else name, ()):
                if mask >> release & 1:
                    found.add(int(number))
        return found


@cache
def knowledge() -> Knowledge:
    """The shipped data, read once (a few milliseconds), when first needed."""
    raw = resources.files(__package__).joinpath(DATA).read_bytes()
    return Knowledge(json.loads(gzip.decompress(raw)))


def lookup_of(entry: dict[str, Any], nested: bool) -> Lookup:
    """How a release finds the class of a serialized object: by its module
    and name, in its family's table where it is given as an argument."""
    module = str(entry.get("module") or "")
    family = module if nested and module in FAMILIES else None
    return module, str(entry["class_name"]), family
